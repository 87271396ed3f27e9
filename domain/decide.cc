// The programme's rules, enforced at the moment of writing: decide() hands a
// command to the Decider's operator for it, in the file of its family
// (domain/decide_internal.h lists them). Here: the checks and lookups those
// files share, and the names of persons for the four-eyes rules.
#include "domain/decide.h"

#include <algorithm>

#include "base/assert.h"
#include "domain/decide_internal.h"

namespace pl {

std::string person_name(std::string_view name) {
  std::string out;
  bool space = false;
  for (char c : name) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

bool same_person(std::string_view a, std::string_view b) {
  std::string x = person_name(a), y = person_name(b);
  return x.size() == y.size() && std::equal(x.begin(), x.end(), y.begin(), [](char p, char q) {
           auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
           return lower(p) == lower(q);
         });
}

namespace decide_internal {

namespace {

bool valid_id(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.';
  });
}

}  // namespace

Status bad(std::string m) { return Status::invalid(std::move(m)); }
Status missing(std::string_view what, const std::string& id) {
  return Status::not_found(std::string(what) + " '" + id + "' does not exist");
}
Status exists(std::string_view what, const std::string& id) {
  return Status::conflict("conflict", std::string(what) + " '" + id + "' already exists");
}

Status check_id(std::string_view what, const std::string& id) {
  if (valid_id(id)) return Status::ok();
  return bad(std::string(what) + " id '" + id + "' is not 1 to 128 letters, digits, '-', '_' or '.'");
}

Status check_text(std::string_view what, const std::string& s, std::size_t max) {
  if (s.empty()) return bad(std::string(what) + " is required");
  if (s.size() > max) return bad(std::string(what) + " is longer than " + std::to_string(max) + " bytes");
  return Status::ok();
}

bool valid_country(const std::string& c) {
  return c.size() == 2 && c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z';
}

Status check_topics(const Rules& rules, const std::vector<std::string>& topics) {
  for (const auto& t : topics)
    if (!rules.topic_ok(t))
      return Status::rule("unknown_knowledge_area", "'" + t + "' is not a knowledge area of the programme");
  return Status::ok();
}

bool add_overflows(std::int64_t a, std::int64_t b) {
  std::int64_t r;
  return __builtin_add_overflow(a, b, &r);
}

std::vector<flatbuffers::Offset<flatbuffers::String>> fb_strings(FBB& b, const std::vector<std::string>& v) {
  std::vector<flatbuffers::Offset<flatbuffers::String>> out;
  out.reserve(v.size());
  for (const auto& s : v) out.push_back(b.CreateString(s));
  return out;
}

Result<const ProgrammeState*> open_programme(const State& s, const std::string& id) {
  const auto* p = State::find(s.programmes(), id);
  if (!p) return missing("programme", id);
  if (p->closed) return Status::rule("programme_closed", "programme '" + id + "' is closed");
  return p;
}

Result<const ProgrammeState*> any_programme(const State& s, const std::string& id) {
  const auto* p = State::find(s.programmes(), id);
  if (!p) return missing("programme", id);
  return p;
}

}  // namespace decide_internal

Result<Decision> decide(const State& state, std::int64_t now_us, const AnyCommand& command,
                        std::optional<std::uint64_t> expected_version, const Actor& actor) {
  Result<Decision> d = std::visit(decide_internal::Decider{state, now_us, expected_version, actor}, command);
  // An accepted command appends its events, the first at the expected version.
  PL_ASSERT(!d || (!d->events.empty() && d->events.front().expected_version == expected_version));
  return d;
}

Command make_command(AnyCommand command, Actor actor, std::optional<std::uint64_t> expected_version) {
  Command c;
  c.actor = std::move(actor);
  c.decide = [cmd = std::move(command), expected_version](const State& s, std::int64_t now, const Actor& who) {
    return decide(s, now, cmd, expected_version, who);
  };
  return c;
}

}  // namespace pl
