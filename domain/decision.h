// What the writer runs: a command as a decide function over the write-side
// State, with who sent it and its idempotency key; and what a decision
// returns, the events to append. Made from the programme's commands by
// make_command (domain/decide.h); run by the Writer (writer/writer.h).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/sha256.h"
#include "base/status.h"
#include "domain/state.h"

namespace pl {

// Who sends a command: the caller's name and role (a token's, for the API),
// and the subject id the writer gives the name (Vault::staff_id) before it
// decides: the id is what the log keeps in clear, and what four eyes compare.
struct Actor {
  std::string name;
  std::string role;
  std::string id{};
};

// A person's name as it is kept (a token's name): without white space at
// either end, inner runs of white space as one space.
std::string person_name(std::string_view name);
// Whether two names are one person, for the four-eyes rule: their kept forms
// equal but for the case of ASCII letters ("Demo-Finance" and "demo-finance "
// are one person).
bool same_person(std::string_view a, std::string_view b);

// A personal field of an event: the payload leaves it out, and the writer
// seals `text` for `subjects` (log/vault.h). `field` is the field's vtable
// offset in the event's table (fb::SessionLogged::VT_SUMMARY).
struct PersonalText {
  std::uint16_t field = 0;
  std::vector<std::string> subjects;  // sorted, each once (subject_set); empty: the actor's own
  std::string text;                   // empty: nothing is sealed
};

// One event a decision wants appended. `payload` is a finished Payload
// FlatBuffer (see make_payload in domain/state.h), without its personal
// fields, which are in `personal`, in increasing field order.
struct NewEvent {
  std::string stream;
  std::optional<std::uint64_t> expected_version;  // the stream's version before this event
  fb::Event type = fb::Event::NONE;
  std::string payload;
  std::vector<PersonalText> personal{};
};

// An accepted command: its events, appended together or not at all.
struct Decision {
  std::string id;                   // the entity the command created or changed
  std::string programme_id;         // the programme whose rules were applied
  std::uint32_t rules_version = 0;  // the version of those rules
  std::vector<NewEvent> events;
  // The subjects whose data keys the writer destroys with these events
  // (EraseSubject). The writer refuses a subject without a key (not_found,
  // "unknown_subject") or whose key is destroyed already (conflict,
  // "subject_erased").
  std::vector<std::string> erase_subjects{};
};

// Decides a command against the state; `now_us` is the recorded-at its
// events will carry (the server's clock, never decreasing). Runs on the
// writer thread; the State is valid during the call only and must not be
// kept. Returns the events to append, or the refusal (nothing is written).
// An exception it throws is answered as internal.
// `actor` is the command's, its id given.
using Decide = std::function<Result<Decision>(const State&, std::int64_t now_us, const Actor& actor)>;

struct Command {
  Actor actor;
  // Empty: no idempotency. Otherwise, the same key from the same caller (role
  // and actor name) with the same fingerprint answers the first outcome again
  // and writes nothing; with another fingerprint it is refused with
  // idempotency_key_reused. Keys of different callers never meet.
  std::string idempotency_key;
  Hash fingerprint{};

  std::string correlation_id;
  Decide decide;
};

// The key a command's outcome is recorded under: its idempotency key scoped
// by its caller (role and actor name). Meaningful for a non-empty key only.
// Pure; thread safe.
std::string scoped_command_key(const Command& cmd);

}  // namespace pl
