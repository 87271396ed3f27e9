#include "base/dates.h"

#include <algorithm>
#include <cstdio>

namespace pl {

// Howard Hinnant's days_from_civil / civil_from_days.
std::int32_t days_from_civil(int y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int>(doe) - 719468;
}

Ymd civil_from_days(std::int32_t days) {
  // In 64 bits: the shift by 719468 stays defined for every 32-bit day
  // count, as a decoded record may hold any.
  const std::int64_t z = std::int64_t{days} + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const auto y = static_cast<int>(std::int64_t{yoe} + era * 400);
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return Ymd{y + (m <= 2), m, d};
}

unsigned days_in_month(int y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2) {
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return leap ? 29 : 28;
  }
  return kDays[m - 1];
}

bool valid_ymd(int y, unsigned m, unsigned d) {
  return y >= 1 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m);
}

namespace {

bool digits(std::string_view s, std::size_t pos, std::size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

}  // namespace

std::optional<std::int32_t> parse_date(std::string_view s) {
  int y, m, d;
  if (s.size() != 10 || s[4] != '-' || s[7] != '-' || !digits(s, 0, 4, &y) || !digits(s, 5, 2, &m) ||
      !digits(s, 8, 2, &d))
    return std::nullopt;
  if (!valid_ymd(y, static_cast<unsigned>(m), static_cast<unsigned>(d))) return std::nullopt;
  return days_from_civil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
}

std::string format_date(std::int32_t days) {
  Ymd ymd = civil_from_days(days);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", ymd.year, ymd.month, ymd.day);
  return buf;
}

std::optional<std::int64_t> parse_instant(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.ffffff](Z|±HH:MM)
  if (s.size() < 20) return std::nullopt;
  auto date = parse_date(s.substr(0, 10));
  if (!date || (s[10] != 'T' && s[10] != 't')) return std::nullopt;
  int hh, mm, ss;
  if (!digits(s, 11, 2, &hh) || s[13] != ':' || !digits(s, 14, 2, &mm) || s[16] != ':' || !digits(s, 17, 2, &ss))
    return std::nullopt;
  if (hh > 23 || mm > 59 || ss > 59) return std::nullopt;
  std::size_t pos = 19;
  std::int64_t frac_us = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    std::size_t n = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (n >= 6) return std::nullopt;
      frac_us = frac_us * 10 + (s[pos] - '0');
      ++n;
      ++pos;
    }
    if (n == 0) return std::nullopt;
    for (; n < 6; ++n) frac_us *= 10;
  }
  if (pos >= s.size()) return std::nullopt;  // no offset
  std::int64_t offset_s = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    if (pos + 1 != s.size()) return std::nullopt;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int oh, om;
    if (pos + 6 != s.size() || !digits(s, pos + 1, 2, &oh) || s[pos + 3] != ':' || !digits(s, pos + 4, 2, &om) ||
        oh > 23 || om > 59)
      return std::nullopt;
    offset_s = (oh * 3600 + om * 60) * (s[pos] == '+' ? 1 : -1);
  } else {
    return std::nullopt;
  }
  std::int64_t secs = std::int64_t{*date} * 86400 + hh * 3600 + mm * 60 + ss - offset_s;
  return secs * 1000000 + frac_us;
}

std::string format_instant(std::int64_t us) {
  std::int64_t secs = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
  std::int64_t frac = us - secs * 1000000;
  std::int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
  std::int64_t rem = secs - days * 86400;
  Ymd ymd = civil_from_days(static_cast<std::int32_t>(days));
  char buf[48];
  int hh = static_cast<int>(rem / 3600), mi = static_cast<int>(rem % 3600 / 60), ss = static_cast<int>(rem % 60);
  if (frac != 0) {
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%06lldZ", ymd.year, ymd.month, ymd.day, hh, mi, ss,
                  static_cast<long long>(frac));
  } else {
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", ymd.year, ymd.month, ymd.day, hh, mi, ss);
  }
  return buf;
}

std::int32_t add_months(std::int32_t days, int months) {
  Ymd ymd = civil_from_days(days);
  int total = ymd.year * 12 + static_cast<int>(ymd.month) - 1 + months;
  int y = total / 12;
  unsigned m = static_cast<unsigned>(total % 12) + 1;
  unsigned d = std::min(ymd.day, days_in_month(y, m));
  return days_from_civil(y, m, d);
}

std::string format_minutes(std::int64_t minutes) {
  bool neg = minutes < 0;
  std::uint64_t m = neg ? 0 - static_cast<std::uint64_t>(minutes) : static_cast<std::uint64_t>(minutes);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s%lluh%02llu", neg ? "-" : "", static_cast<unsigned long long>(m / 60),
                static_cast<unsigned long long>(m % 60));
  return buf;
}

std::string format_cents(std::int64_t cents) {
  bool neg = cents < 0;
  std::uint64_t c = neg ? 0 - static_cast<std::uint64_t>(cents) : static_cast<std::uint64_t>(cents);
  std::string euros = std::to_string(c / 100);
  std::string grouped;
  int n = 0;
  for (auto it = euros.rbegin(); it != euros.rend(); ++it) {
    if (n && n % 3 == 0) grouped.insert(grouped.begin(), ',');
    grouped.insert(grouped.begin(), *it);
    ++n;
  }
  char frac[4];
  std::snprintf(frac, sizeof frac, "%02llu", static_cast<unsigned long long>(c % 100));
  return std::string(neg ? "-" : "") + "EUR " + grouped + "." + frac;
}

std::int32_t day_of(std::int64_t us) {
  std::int64_t day = us / 86'400'000'000LL;
  if (us < 0 && us % 86'400'000'000LL != 0) --day;
  return static_cast<std::int32_t>(day);
}

}  // namespace pl
