// JSON texts written by hand (render/views_text.cc, render/views_pairs.cc):
// what they write is, byte for byte, the JSON library's text of the same value
// (text_of): the keys of each object in the library's order (sorted), no
// spaces, strings escaped as it escapes them. Internal to render/.
#pragma once

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "base/dates.h"
#include "render/views_json.h"

namespace pl {

// Text written into a string through a cursor: each write makes room with
// one comparison (the string doubles when it must), then copies. The answers
// written so are megabytes, of short pieces: a std::string append per piece
// was most of their time.
class TextOut {
 public:
  explicit TextOut(std::size_t expect) { s_.resize(std::max<std::size_t>(expect, 64)); }
  TextOut& operator+=(char c) {
    room(1);
    s_[n_++] = c;
    return *this;
  }
  TextOut& operator+=(std::string_view v) {
    room(v.size());
    std::memcpy(s_.data() + n_, v.data(), v.size());
    n_ += v.size();
    return *this;
  }
  void num(std::int64_t v) {
    room(24);
    n_ = static_cast<std::size_t>(std::to_chars(s_.data() + n_, s_.data() + n_ + 24, v).ptr - s_.data());
  }
  void unum(std::uint64_t v) {
    room(24);
    n_ = static_cast<std::size_t>(std::to_chars(s_.data() + n_, s_.data() + n_ + 24, v).ptr - s_.data());
  }
  // A date as "YYYY-MM-DD", quoted, as format_date() writes it.
  void date(std::int32_t days) {
    Ymd d = civil_from_days(days);
    if (d.year < 0 || d.year > 9999) {
      *this += '"';
      *this += format_date(days);
      *this += '"';
      return;
    }
    room(12);
    char* p = s_.data() + n_;
    auto two = [](char* at, unsigned v) {
      at[0] = static_cast<char>('0' + v / 10);
      at[1] = static_cast<char>('0' + v % 10);
    };
    p[0] = '"';
    two(p + 1, static_cast<unsigned>(d.year) / 100);
    two(p + 3, static_cast<unsigned>(d.year) % 100);
    p[5] = '-';
    two(p + 6, d.month);
    p[8] = '-';
    two(p + 9, d.day);
    p[11] = '"';
    n_ += 12;
  }
  // ,"k": (without the comma for the first key of an object).
  template <std::size_t N>
  [[gnu::always_inline]] void key(const char (&k)[N], bool first) {
    room(N + 3);
    char* p = s_.data() + n_;
    if (!first) *p++ = ',';
    *p++ = '"';
    std::memcpy(p, k, N - 1);
    p += N - 1;
    *p++ = '"';
    *p++ = ':';
    n_ = static_cast<std::size_t>(p - s_.data());
  }
  std::string take() {
    s_.resize(n_);
    return std::move(s_);
  }

 private:
  void room(std::size_t k) {
    if (s_.size() - n_ < k) s_.resize(std::max(s_.size() * 2, n_ + k));
  }
  std::string s_;
  std::size_t n_ = 0;
};

// A JSON string as text_of() writes it. Ids and streams are plain ASCII; any
// other text goes through the JSON library, so that escapes and the
// replacement of invalid UTF-8 stay the library's.
template <class Out>
void append_json_string(Out& out, std::string_view v) {
  bool plain =
      std::all_of(v.begin(), v.end(), [](char ch) { return ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\'; });
  if (!plain) {
    out += text_of(nlohmann::json(std::string(v)));
    return;
  }
  out += '"';
  out += v;
  out += '"';
}

// "key":value pairs, each after a comma but the first. The keys are
// literals: their copies are of sizes known when compiled.
struct TextObject {
  TextOut& out;
  bool first = true;
  template <std::size_t N>
  [[gnu::always_inline]] void key(const char (&k)[N]) {
    out.key(k, first);
    first = false;
  }
  template <std::size_t N>
  [[gnu::always_inline]] void num(const char (&k)[N], std::int64_t v) {
    key(k);
    out.num(v);
  }
  template <std::size_t N>
  [[gnu::always_inline]] void unum(const char (&k)[N], std::uint64_t v) {
    key(k);
    out.unum(v);
  }
  template <std::size_t N>
  [[gnu::always_inline]] void str(const char (&k)[N], std::string_view v) {
    key(k);
    append_json_string(out, v);
  }
};

}  // namespace pl
