#include <doctest/doctest.h>

#include <cstdint>

#include "base/dates.h"

using namespace pl;

TEST_CASE("dates: parse and format round trip, impossible dates refused") {
  auto d = parse_date("2021-01-20");
  REQUIRE(d);
  CHECK(format_date(*d) == "2021-01-20");
  CHECK(*parse_date("1970-01-01") == 0);
  CHECK_FALSE(parse_date("2021-02-30"));
  CHECK_FALSE(parse_date("2021-13-01"));
  CHECK_FALSE(parse_date("2021-1-01"));
  CHECK(parse_date("2020-02-29"));
  CHECK_FALSE(parse_date("2100-02-29"));
}

// A decoded record may hold any 32-bit day count: the calendar of each is
// defined (the sanitizer builds stop on a signed overflow).
TEST_CASE("dates: every 32-bit day count has its calendar date") {
  auto max = civil_from_days(INT32_MAX);
  CHECK(max.year == 5881580);
  CHECK(max.month == 7);
  CHECK(max.day == 11);
  auto min = civil_from_days(INT32_MIN);
  CHECK(min.year == -5877641);
  CHECK(min.month == 6);
  CHECK(min.day == 23);
  auto epoch = civil_from_days(0);
  CHECK((epoch.year == 1970 && epoch.month == 1 && epoch.day == 1));
}

TEST_CASE("dates: calendar months") {
  CHECK(format_date(add_months(*parse_date("2021-01-20"), 6)) == "2021-07-20");
  CHECK(format_date(add_months(*parse_date("2021-01-20"), 12)) == "2022-01-20");
  CHECK(format_date(add_months(*parse_date("2021-01-31"), 1)) == "2021-02-28");
  CHECK(format_date(add_months(*parse_date("2020-08-31"), 6)) == "2021-02-28");
}

TEST_CASE("instants: offsets, fractions, and what is refused") {
  auto a = parse_instant("2019-03-15T23:59:59+01:00");
  auto b = parse_instant("2019-03-15T22:59:59Z");
  REQUIRE(a);
  REQUIRE(b);
  CHECK(*a == *b);
  CHECK(format_instant(*a) == "2019-03-15T22:59:59Z");
  CHECK(*parse_instant("2019-03-16T00:00:00+01:00") - *a == 1000000);
  CHECK(*parse_instant("1970-01-01T00:00:00.5Z") == 500000);
  CHECK(format_instant(500000) == "1970-01-01T00:00:00.500000Z");
  CHECK_FALSE(parse_instant("2019-03-15T23:59:59"));  // no offset
  CHECK_FALSE(parse_instant("2019-02-30T10:00:00Z"));
  CHECK_FALSE(parse_instant("2019-03-15T24:00:00Z"));
  CHECK_FALSE(parse_instant("2019-03-15 23:59:59Z"));
}

TEST_CASE("business dates: 1990-01-01 to 2099-12-31") {
  CHECK(format_date(kFirstBusinessDay) == "1990-01-01");
  CHECK(format_date(kLastBusinessDay) == "2099-12-31");
}

TEST_CASE("figures in messages") {
  CHECK(format_minutes(1890) == "31h30");
  CHECK(format_minutes(30) == "0h30");
  CHECK(format_cents(310000) == "EUR 3,100.00");
  CHECK(format_cents(1) == "EUR 0.01");
  CHECK(format_cents(123456789) == "EUR 1,234,567.89");
}
