// Sums of money and minutes that cannot wrap.
//
// Amounts are bounded at write (at most 10^12 cents, 10^7 minutes), so no
// total of a real ledger comes near the limits of a signed 64-bit integer;
// these make sure that none could wrap if one did: a total that would pass
// a limit stays at it instead of turning negative. Pure; thread safe.
#pragma once

#include <cstdint>
#include <limits>

namespace pl {

inline std::int64_t sat_add(std::int64_t a, std::int64_t b) {
  std::int64_t r;
  if (__builtin_add_overflow(a, b, &r))
    return b > 0 ? std::numeric_limits<std::int64_t>::max() : std::numeric_limits<std::int64_t>::min();
  return r;
}

inline std::int64_t sat_sub(std::int64_t a, std::int64_t b) {
  std::int64_t r;
  if (__builtin_sub_overflow(a, b, &r))
    return b < 0 ? std::numeric_limits<std::int64_t>::max() : std::numeric_limits<std::int64_t>::min();
  return r;
}

// a += b and a -= b, saturating.
inline void add_to(std::int64_t& a, std::int64_t b) { a = sat_add(a, b); }
inline void sub_from(std::int64_t& a, std::int64_t b) { a = sat_sub(a, b); }

}  // namespace pl
