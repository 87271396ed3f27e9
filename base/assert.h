// PL_ASSERT(condition): an invariant of the ledger's own code, checked in
// every build (NDEBUG does not remove it, unlike assert()): a broken one stops
// the process at once, naming the condition and where it is, before anything
// built on it is written or answered. For what the code itself guarantees
// (positions that only increase, a commit's events and hashes that agree), never
// for input: bad input is a Status.
#pragma once

namespace pl {

[[noreturn]] void assert_failed(const char* condition, const char* file, int line);

}  // namespace pl

#define PL_ASSERT(condition) ((condition) ? static_cast<void>(0) : ::pl::assert_failed(#condition, __FILE__, __LINE__))
