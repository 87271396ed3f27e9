// Reading a command's JSON body and path ids field by field: types, unknown
// fields, text without control characters and within its length, numbers
// within their bounds, lists without duplicates; the first error kept, with
// its code. Internal to http/json_commands.cc.
#pragma once

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/dates.h"
#include "domain/commands.h"

namespace pl {

// Free text: summaries, reasons, names and notes at most 4,000 characters;
// each field of a final report at most 20,000.
inline constexpr std::size_t kMaxText = 4000;
inline constexpr std::size_t kMaxReportField = 20000;
// Amounts and caps in cents, durations in minutes: far above any programme,
// far below where a sum of a million of them could wrap a signed 64-bit total.
inline constexpr std::int64_t kMaxCents = 1'000'000'000'000;  // 10^12 cents: EUR 10 billion
inline constexpr std::int64_t kMaxMinutes = 10'000'000;       // 10^7 minutes: 19 years

// Why a string may not be stored as given: a control character other than tab,
// newline and carriage return (C0, DEL, C1), which some readers cut at or hide;
// or more than `max` characters (code points). Empty when it may; otherwise
// *code is set (bad_request, too_long).
std::string text_problem(const std::string& s, std::size_t max, std::string* code);

// Reads the fields of one JSON object, keeping the first error.
class BodyReader {
 public:
  using json = nlohmann::json;

  BodyReader(const json& j, std::string_view what) : j_(j), what_(what) {
    if (!j_.is_object()) fail("the " + std::string(what) + " must be a JSON object");
  }

  std::string text(const char* key, bool required = true, std::size_t max = kMaxText) {
    const json* v = get(key, required);
    if (!v) return {};
    if (!v->is_string()) return type_error(key, "a string"), std::string();
    std::string out = v->get<std::string>();
    std::string code;
    if (std::string why = text_problem(out, max, &code); !why.empty()) fail(std::string(key) + " " + why, code);
    return out;
  }
  // Cents: an amount or a cap, at most 10^12 either way.
  std::int64_t cents(const char* key, bool required = true) { return bounded(key, required, kMaxCents, "cents"); }
  // Minutes: a duration or a cap, at most 10^7 either way.
  std::int64_t minutes(const char* key, bool required = true) { return bounded(key, required, kMaxMinutes, "minutes"); }
  std::int64_t integer(const char* key, bool required = true) {
    const json* v = get(key, required);
    if (!v) return 0;
    if (v->is_number_unsigned()) {
      if (v->get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return fail(std::string(key) + " does not fit in a signed 64-bit integer"), 0;
      return static_cast<std::int64_t>(v->get<std::uint64_t>());
    }
    if (v->is_number_integer()) return v->get<std::int64_t>();
    if (v->is_number_float()) return fail(std::string(key) + " must be an integer that fits in 64 bits"), 0;
    return type_error(key, "an integer"), 0;
  }
  std::int32_t int32(const char* key, bool required = true) {
    std::int64_t v = integer(key, required);
    if (v < std::numeric_limits<std::int32_t>::min() || v > std::numeric_limits<std::int32_t>::max())
      return fail(std::string(key) + " is out of range"), 0;
    return static_cast<std::int32_t>(v);
  }
  std::int32_t date(const char* key, bool required = true) {
    const json* v = get(key, required);
    if (!v) return 0;
    if (!v->is_string()) return type_error(key, "a date (YYYY-MM-DD)"), 0;
    auto d = parse_date(v->get<std::string>());
    if (!d) return fail(std::string(key) + " '" + v->get<std::string>() + "' is not a calendar date (YYYY-MM-DD)"), 0;
    if (*d < kFirstBusinessDay || *d > kLastBusinessDay)
      return fail(std::string(key) + " '" + v->get<std::string>() + "' is outside 1990-01-01 to 2099-12-31"), 0;
    return *d;
  }
  std::optional<std::int64_t> instant(const char* key, bool required = true) {
    const json* v = get(key, required);
    if (!v) return std::nullopt;
    if (!v->is_string()) return type_error(key, "an RFC 3339 instant"), std::nullopt;
    auto t = parse_instant(v->get<std::string>());
    if (!t)
      return fail(std::string(key) + " '" + v->get<std::string>() +
                  "' is not an RFC 3339 instant with an offset (e.g. 2019-03-15T23:59:59+01:00)"),
             std::nullopt;
    if (day_of(*t) < kFirstBusinessDay || day_of(*t) > kLastBusinessDay)
      return fail(std::string(key) + " '" + v->get<std::string>() + "' is outside 1990-01-01 to 2099-12-31 (UTC)"),
             std::nullopt;
    return t;
  }
  std::vector<std::string> strings(const char* key, bool required = true) {
    std::vector<std::string> out;
    const json* v = get(key, required);
    if (!v) return out;
    if (!v->is_array()) return type_error(key, "an array of strings"), out;
    std::set<std::string> seen;
    for (const auto& e : *v) {
      if (!e.is_string()) return type_error(key, "an array of strings"), out;
      out.push_back(e.get<std::string>());
      std::string code;
      if (std::string why = text_problem(out.back(), kMaxText, &code); !why.empty())
        return fail(std::string(key) + ": an entry " + why, code), out;
      // A topic named twice would count its minutes twice.
      if (!seen.insert(out.back()).second) return fail(std::string(key) + " names '" + out.back() + "' twice"), out;
    }
    return out;
  }
  // Whether the body gives `key` (not null).
  // A list of event positions: whole numbers from 1, none twice.
  std::vector<std::uint64_t> positions(const char* key, bool required = true) {
    std::vector<std::uint64_t> out;
    const json* v = get(key, required);
    if (!v) return out;
    if (!v->is_array()) return type_error(key, "an array of positions"), out;
    for (const auto& e : *v) {
      if (!e.is_number_unsigned() || e.get<std::uint64_t>() == 0)
        return fail(std::string(key) + " must hold event positions: whole numbers from 1"), out;
      if (std::find(out.begin(), out.end(), e.get<std::uint64_t>()) != out.end())
        return fail(std::string(key) + " names position " + std::to_string(e.get<std::uint64_t>()) + " twice"), out;
      out.push_back(e.get<std::uint64_t>());
    }
    if (out.size() > 1000) return fail(std::string(key) + " names more than 1000 positions"), out;
    return out;
  }
  bool has(const char* key) const {
    if (!j_.is_object()) return false;
    auto it = j_.find(key);
    return it != j_.end() && !it->is_null();
  }
  // A yes or no; false when absent.
  bool boolean(const char* key, bool required = false) {
    const json* v = get(key, required);
    if (!v) return false;
    if (!v->is_boolean()) return type_error(key, "true or false"), false;
    return v->get<bool>();
  }
  // One of `allowed`; returns its index.
  std::size_t one_of(const char* key, std::initializer_list<const char*> allowed, bool required = true) {
    const json* v = get(key, required);
    if (!v) return 0;
    if (!v->is_string()) return type_error(key, "a string"), 0;
    std::string s = v->get<std::string>();
    std::size_t i = 0;
    std::string list;
    for (const char* a : allowed) {
      if (s == a) return i;
      list += (i ? ", " : "") + std::string(a);
      ++i;
    }
    return fail(std::string(key) + " '" + s + "' is not one of: " + list), 0;
  }

  // Refuses fields that were never read.
  Status finish() {
    if (error_.empty() && j_.is_object())
      for (auto it = j_.begin(); it != j_.end(); ++it)
        if (!seen_.count(it.key())) fail("unknown field '" + it.key() + "' in the " + what_);
    return error_.empty() ? Status::ok() : Status::make(Kind::invalid_argument, code_, error_);
  }

 private:
  const json* get(const char* key, bool required) {
    seen_.insert(key);
    if (!j_.is_object()) return nullptr;
    auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) {
      if (required) fail("missing field '" + std::string(key) + "' in the " + what_);
      return nullptr;
    }
    return &*it;
  }
  void type_error(const char* key, const char* expected) { fail(std::string(key) + " must be " + expected); }
  void fail(std::string m, const std::string& code = "bad_request") {
    if (!error_.empty()) return;
    error_ = std::move(m);
    code_ = code;
  }
  std::int64_t bounded(const char* key, bool required, std::int64_t max, const char* unit) {
    std::int64_t v = integer(key, required);
    if (v > max || v < -max)
      return fail(std::string(key) + " " + std::to_string(v) + " is beyond the " + std::to_string(max) + " " + unit +
                  " a ledger takes"),
             0;
    return v;
  }

  const json& j_;
  std::string what_;
  std::set<std::string> seen_;
  std::string error_;
  std::string code_ = "bad_request";
};

}  // namespace pl
