// Calendar dates and instants as the ledger keeps them: a date is the number
// of days since 1970-01-01 (proleptic Gregorian), an instant the number of
// microseconds since the Unix epoch, UTC. Pure functions: thread safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pl {

struct Ymd {
  int year;
  unsigned month;  // 1..12
  unsigned day;    // 1..31
};

// The day of a date. REQUIRES: valid_ymd(y, m, d); otherwise the result
// means nothing.
std::int32_t days_from_civil(int y, unsigned m, unsigned d);
Ymd civil_from_days(std::int32_t days);
// A real calendar date of the years 1 to 9999.
bool valid_ymd(int y, unsigned m, unsigned d);
// REQUIRES: 1 <= m <= 12.
unsigned days_in_month(int y, unsigned m);

// "YYYY-MM-DD", a real calendar date of the years 1 to 9999; nullopt
// otherwise (2021-02-30 included).
std::optional<std::int32_t> parse_date(std::string_view s);
// The business dates and instants a command may give: 1990-01-01 to
// 2099-12-31 (UTC), which every programme, retention period and spreadsheet
// serial date fits in.
inline constexpr std::int32_t kFirstBusinessDay = 7305;  // 1990-01-01
inline constexpr std::int32_t kLastBusinessDay = 47481;  // 2099-12-31
std::string format_date(std::int32_t days);

// RFC 3339 with an explicit offset ("Z" or "+01:00"), optional fraction of
// up to 6 digits; nullopt otherwise (an instant without offset included).
// Leap seconds (":60") are refused.
std::optional<std::int64_t> parse_instant(std::string_view s);
// UTC with microseconds when not whole seconds: "2019-03-15T22:59:59Z".
std::string format_instant(std::int64_t us);

// The date `months` calendar months after `days`; a day that does not exist
// in the target month becomes that month's last day (2021-01-31 + 1 month =
// 2021-02-28).
std::int32_t add_months(std::int32_t days, int months);

// The day (days since 1970-01-01, UTC) of an instant, rounded down.
std::int32_t day_of(std::int64_t us);

// "31h30": minutes as hours and minutes.
std::string format_minutes(std::int64_t minutes);
// "EUR 3,100.00": cents as euros.
std::string format_cents(std::int64_t cents);

}  // namespace pl
