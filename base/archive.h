// A small binary archive for folded state: one field list per type, used
// both to save and to load, so the two cannot drift apart.
//
// A type takes part by offering `template <class A> void io(A& a)` as a
// member, or a free `io(A& a, T& x)` found by lookup; either calls
// `a(field, field, ...)`. Integers are little-endian fixed width, strings and
// containers carry a varint length. Unordered maps are written in key order,
// so equal states give equal bytes: the bytes are the state's canonical form
// and tests compare them to compare states.
//
// Thread safety: an archive is used by one thread at a time. Saving only
// reads the object saved.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace pl {

class OutArchive;
class InArchive;

template <class T>
concept HasIo = requires(T& t, OutArchive& a) {
  t.io(a);
};

class OutArchive {
 public:
  static constexpr bool saving = true;

  template <class... T>
  void operator()(T&... xs) {
    (put(xs), ...);
  }
  // Appends the bytes of `x`.
  template <class T>
  void save(const T& x) {
    put(const_cast<T&>(x));  // saving never writes to x
  }
  // Everything saved so far; the reference is valid while the archive lives.
  std::string& bytes() { return out_; }

  void varint(std::uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }

 private:
  template <class T>
  void put(T& x) {
    if constexpr (std::is_enum_v<T>) {
      auto u = static_cast<std::underlying_type_t<T>>(x);
      put(u);
    } else if constexpr (std::is_same_v<T, bool>) {
      out_.push_back(x ? 1 : 0);
    } else if constexpr (std::is_integral_v<T>) {
      char b[sizeof(T)];
      auto u = static_cast<std::make_unsigned_t<T>>(x);
      for (std::size_t i = 0; i < sizeof(T); ++i) b[i] = static_cast<char>((u >> (8 * i)) & 0xff);
      out_.append(b, sizeof(T));
    } else if constexpr (HasIo<T>) {
      x.io(*this);
    } else {
      io(*this, x);
    }
  }
  void put(std::string& s) {
    varint(s.size());
    out_.append(s);
  }
  template <class T>
  void put(std::vector<T>& v) {
    varint(v.size());
    for (auto& x : v) put(x);
  }
  template <class T, std::size_t N>
  void put(std::array<T, N>& v) {
    for (auto& x : v) put(x);
  }
  template <class T>
  void put(std::set<T>& s) {
    varint(s.size());
    for (auto& x : s) put(const_cast<T&>(x));
  }
  template <class K, class V>
  void put(std::map<K, V>& m) {
    varint(m.size());
    for (auto& [k, v] : m) {
      put(const_cast<K&>(k));
      put(v);
    }
  }
  template <class K, class V, class H, class E>
  void put(std::unordered_map<K, V, H, E>& m) {
    std::vector<std::pair<const K*, V*>> sorted;
    sorted.reserve(m.size());
    for (auto& [k, v] : m) sorted.emplace_back(&k, &v);
    std::sort(sorted.begin(), sorted.end(), [](auto& a, auto& b) { return *a.first < *b.first; });
    varint(sorted.size());
    for (auto& [k, v] : sorted) {
      put(const_cast<K&>(*k));
      put(*v);
    }
  }
  template <class A, class B>
  void put(std::pair<A, B>& p) {
    put(p.first);
    put(p.second);
  }

  std::string out_;
};

// Reads what OutArchive wrote, into objects the caller made. On running out
// of bytes or an impossible length it stops and ok() turns false; the object
// is then partly read and the caller discards it.
class InArchive {
 public:
  static constexpr bool saving = false;
  // Borrows `in`, which must outlive the archive.
  explicit InArchive(std::string_view in) : p_(in.data()), end_(in.data() + in.size()) {}

  template <class... T>
  void operator()(T&... xs) {
    (get(xs), ...);
  }
  // False once a read failed.
  bool ok() const { return ok_; }
  // True when every byte was read (also after a failure: check ok() first).
  bool at_end() const { return p_ == end_; }

  std::uint64_t varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ == end_) return fail();
      auto b = static_cast<unsigned char>(*p_++);
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    return fail();
  }
  template <class T>
  void get(T& x) {
    if constexpr (std::is_enum_v<T>) {
      std::underlying_type_t<T> u{};
      get(u);
      x = static_cast<T>(u);
    } else if constexpr (std::is_same_v<T, bool>) {
      if (p_ == end_) return void(fail());
      x = *p_++ != 0;
    } else if constexpr (std::is_integral_v<T>) {
      if (static_cast<std::size_t>(end_ - p_) < sizeof(T)) return void(fail());
      std::make_unsigned_t<T> u = 0;
      for (std::size_t i = 0; i < sizeof(T); ++i)
        u |= static_cast<std::make_unsigned_t<T>>(
            static_cast<std::make_unsigned_t<T>>(static_cast<unsigned char>(p_[i])) << (8 * i));
      p_ += sizeof(T);
      x = static_cast<T>(u);
    } else if constexpr (HasIo<T>) {
      x.io(*this);
    } else {
      io(*this, x);
    }
  }
  void get(std::string& s) {
    std::size_t n = length(1);
    s.assign(p_, n);
    p_ += n;
  }
  template <class T>
  void get(std::vector<T>& v) {
    std::size_t n = length(1);
    v.clear();
    v.reserve(n);
    for (std::size_t i = 0; i < n && ok_; ++i) get(v.emplace_back());
  }
  template <class T, std::size_t N>
  void get(std::array<T, N>& v) {
    for (auto& x : v) get(x);
  }
  template <class T>
  void get(std::set<T>& s) {
    std::size_t n = length(1);
    s.clear();
    for (std::size_t i = 0; i < n && ok_; ++i) {
      T x{};
      get(x);
      s.insert(std::move(x));
    }
  }
  template <class M>
  void get_map(M& m) {
    std::size_t n = length(2);
    m.clear();
    if constexpr (requires { m.reserve(n); }) m.reserve(n);
    for (std::size_t i = 0; i < n && ok_; ++i) {
      typename M::key_type k{};
      get(k);
      get(m[k]);
    }
  }
  template <class K, class V>
  void get(std::map<K, V>& m) {
    get_map(m);
  }
  template <class K, class V, class H, class E>
  void get(std::unordered_map<K, V, H, E>& m) {
    get_map(m);
  }
  template <class A, class B>
  void get(std::pair<A, B>& p) {
    get(p.first);
    get(p.second);
  }

 private:
  std::uint64_t fail() {
    ok_ = false;
    p_ = end_;
    return 0;
  }
  // A count of elements each at least `min_bytes` long: never more than the
  // bytes left could hold, so a corrupt length cannot allocate the world.
  std::size_t length(std::size_t min_bytes) {
    std::uint64_t n = varint();
    if (n > static_cast<std::uint64_t>(end_ - p_) / min_bytes) {
      fail();
      return 0;
    }
    return static_cast<std::size_t>(n);
  }

  const char* p_;
  const char* end_;
  bool ok_ = true;
};

// The canonical bytes of a value (what OutArchive::save writes).
template <class T>
std::string archive_bytes(const T& x) {
  OutArchive a;
  a.save(x);
  return std::move(a.bytes());
}

}  // namespace pl
