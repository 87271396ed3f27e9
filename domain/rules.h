// A programme's rules: every limit the ledger enforces (caps, periods,
// deadline, co-funding rate, eligible countries and topics).
//
// The fields are written once, in schemas/events.fbs (table Rules). Rules is
// that table's generated native type (the FlatBuffers object API); events are
// read into it and written from it by the generated code, and everything that
// lists the fields by name (the API's JSON in and out, the read models'
// checkpoints) walks the table's generated reflection through rule_fields().
// A field added to the table is thereby taken by the API, stored, shown and
// checkpointed; only a rule that uses it is written by hand (domain/decide_*.cc).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "log/envelope.h"

namespace pl {

struct Rules : fb::RulesT {
  // The rules an event carries; all zero and empty for nullptr.
  static Rules from(const fb::Rules* r);
  // The table, for an event being built in `b`.
  flatbuffers::Offset<fb::Rules> pack(flatbuffers::FlatBufferBuilder& b) const;

  // Empty lists mean any.
  bool mentee_country_ok(const std::string& c) const;
  bool mentor_country_ok(const std::string& c) const;
  bool topic_ok(const std::string& t) const;

  // Read-model checkpoints keep the rules as the table's bytes.
  template <class A>
  void io(A& a) {
    std::string bytes;
    if constexpr (A::saving) bytes = packed();
    a(bytes);
    if constexpr (!A::saving) *this = unpacked(bytes);
  }

  bool operator==(const Rules& o) const { return static_cast<const fb::RulesT&>(*this) == o; }

 private:
  std::string packed() const;
  static Rules unpacked(std::string_view bytes);
};

// What a field's value means, by the unit its name ends with in the schema:
// _minutes, _cents, _us (an instant: microseconds since the epoch, UTC),
// _bp (basis points); a list of strings; a yes or no (bool, false unless
// given); else a plain count.
enum class RuleUnit : std::uint8_t { minutes, cents, instant, basis_points, count, strings, boolean };

struct RuleField {
  std::string_view name;       // as in the schema: application_deadline_us
  std::string_view json_name;  // as in the API: the name less _us for an instant
  RuleUnit unit;
  bool wide;                    // a 64-bit integer (long); else 32-bit (int) or bool
  flatbuffers::voffset_t slot;  // the field's vtable offset in the table
  // The schema's default (`retention_years:int = 5`): what an event written
  // before the field existed holds.
  std::int64_t fallback = 0;
  // Whether the API may leave it out: a yes or no, a number with a non-zero
  // default, and a list added after the first contract (evidence_required).
  // Absent, it takes the default (false, the number, an empty list) when a
  // programme opens and keeps the value in force when its rules are amended,
  // so a client written before such a rule existed neither fails nor
  // changes it. The first lists (countries, knowledge areas) stay required:
  // empty means any, which nobody should get by leaving a field out.
  bool optional_in_api = false;
  bool optional() const { return optional_in_api; }
};

// Every field of the Rules table, in the schema's order. Built once from the
// generated reflection; lives as long as the program; thread-safe.
const std::vector<RuleField>& rule_fields();

// A field's value: `number` for integers and booleans (0 or 1), `strings`
// for a list.
struct RuleValue {
  std::int64_t number = 0;
  std::vector<std::string> strings;
};

// The value of each of rule_fields(), in its order.
std::vector<RuleValue> rule_values(const Rules& r);
// The rules with these values (one per field of rule_fields(), in its order;
// a 32-bit field takes the low 32 bits: range checks are the caller's).
Rules rules_from_values(const std::vector<RuleValue>& values);

}  // namespace pl
