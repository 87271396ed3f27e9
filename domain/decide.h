// The programme's rules: a command decided against the write-side State.
// Every rule lives in domain/decide*.cc, a file a family of commands (listed
// in domain/decide_internal.h); eligibility in domain/eligibility.h.
#pragma once

#include <cstdint>
#include <optional>

#include "domain/commands.h"
#include "domain/decision.h"

namespace pl {

// Decides a command: the events it appends, or the refusal with a reason code
// and the figures. `expected_version`, when set, is the version the command's
// target stream must be at (If-Match): the decision's first event carries it,
// and the writer refuses the command with version_conflict when it appends
// that event to a stream at another version. Pure: the same state, time and
// command give the same decision; thread safe on a State no one writes
// meanwhile. `actor` is who sends it: the four-eyes rules compare its name
// with the names recorded on the events it would check.
Result<Decision> decide(const State& state, std::int64_t now_us, const AnyCommand& command,
                        std::optional<std::uint64_t> expected_version = std::nullopt, const Actor& actor = Actor{});

// A writer command that decides `command` (with the given actor and
// expected version). Its idempotency key, fingerprint and correlation id are
// left empty, for the caller to set.
Command make_command(AnyCommand command, Actor actor, std::optional<std::uint64_t> expected_version = std::nullopt);

}  // namespace pl
