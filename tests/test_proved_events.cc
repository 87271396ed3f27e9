// The events a client is shown bind to the signed log: /v1/events and
// /v1/streams/{stream} serve each event's canonical bytes, and a client that
// hashes them itself gets the leaf whose inclusion proof checks against the
// signed checkpoint's root; the fields it is shown are those of the bytes it
// hashed. Against the real `ledger serve`, with the project's Merkle and note
// code as the client.
#include <doctest/doctest.h>

#include <chrono>
#include <cstring>
#include <string>
#include <thread>

#include "fixtures.h"
#include "log/envelope.h"
#include "log/merkle.h"
#include "log/note.h"

using namespace pl::test;

namespace {

pl::Hash hash_of(const std::string& bytes) {
  pl::Hash h{};
  REQUIRE(bytes.size() == h.size());
  std::memcpy(h.data(), bytes.data(), h.size());
  return h;
}

// The signed checkpoint now, its signature checked with the server's current
// verifier key (standing in for the key the auditor keeps).
pl::note::Checkpoint signed_checkpoint(const Server& s) {
  auto verifier = pl::note::parse_verifier(current_verifier(s.port));
  REQUIRE(verifier);
  Resp r = request(s.port, "GET", "/v1/audit/checkpoint");
  REQUIRE_MESSAGE(r.status == 200, r.body);
  auto text = pl::note::open(r.body, {*verifier});
  REQUIRE_MESSAGE(text, text.status().message());
  auto cp = pl::note::parse_checkpoint(*text);
  REQUIRE(cp);
  return *cp;
}

// The fields of canonical bytes a client reads (docs/STORAGE.md's grammar).
struct Canonical {
  std::string prev_hash;
  std::uint64_t position = 0;
  std::string stream;
  std::uint64_t stream_version = 0;
  std::uint16_t type = 0;
  std::int64_t recorded_at_us = 0;
  std::string actor_id, actor_role, idempotency_key, correlation_id, programme_id;
  std::uint32_t rules_version = 0;
  std::string payload;
  std::size_t payload_at = 0;  // where the payload's bytes start
  struct Sealed {
    std::uint16_t field = 0;
    std::vector<std::string> subjects;
    std::string box;
  };
  std::vector<Sealed> sealed;
};
Canonical parse_canonical(const std::string& b) {
  Canonical c;
  std::size_t at = 0;
  auto take = [&](std::size_t n) {
    REQUIRE(at + n <= b.size());
    std::string out = b.substr(at, n);
    at += n;
    return out;
  };
  auto be = [&](std::size_t n) {
    std::uint64_t v = 0;
    for (char ch : take(n)) v = (v << 8) | static_cast<unsigned char>(ch);
    return v;
  };
  auto str = [&] { return take(be(4)); };
  REQUIRE(take(4) == "PLE2");
  c.prev_hash = take(32);
  c.position = be(8);
  c.stream = str();
  c.stream_version = be(8);
  c.type = static_cast<std::uint16_t>(be(2));
  be(2);  // schema version
  c.recorded_at_us = static_cast<std::int64_t>(be(8));
  c.actor_id = str();
  c.actor_role = str();
  c.idempotency_key = str();
  c.correlation_id = str();
  c.programme_id = str();
  c.rules_version = static_cast<std::uint32_t>(be(4));
  std::size_t payload_size = be(4);
  c.payload_at = at;
  c.payload = take(payload_size);
  for (std::uint64_t n = be(4); n > 0; --n) {
    Canonical::Sealed f;
    f.field = static_cast<std::uint16_t>(be(2));
    for (std::uint64_t m = be(4); m > 0; --m) f.subjects.push_back(str());
    f.box = str();
    c.sealed.push_back(std::move(f));
  }
  CHECK(at == b.size());
  return c;
}

// Checks one served event as a client would: the served bytes hash to the
// leaf, the leaf is in the signed tree, and the JSON says what the bytes say.
void check_event(const Server& s, const json& ev, const pl::note::Checkpoint& cp) {
  REQUIRE_MESSAGE(ev.contains("canonical"), ev.dump());
  REQUIRE(ev["canonical"].is_string());
  auto bytes = pl::note::unbase64(ev["canonical"].get<std::string>());
  REQUIRE(bytes.has_value());
  pl::Hash data = pl::sha256(*bytes);
  CHECK(pl::to_hex(pl::bytes_of(data)) == ev["hash"].get<std::string>());
  std::uint64_t position = ev["position"];
  Resp pr =
      request(s.port, "GET",
              "/v1/audit/proof/inclusion?position=" + std::to_string(position) + "&size=" + std::to_string(cp.size));
  REQUIRE_MESSAGE(pr.status == 200, pr.body);
  std::vector<pl::Hash> proof;
  const json answer = pr.j();
  for (const json& h : answer["hashes"]) proof.push_back(hash_of(*pl::note::unbase64(h.get<std::string>())));
  pl::Hash leaf = pl::merkle::leaf_hash(data);
  CHECK(pl::merkle::verify_inclusion(position - 1, cp.size, leaf, proof, cp.root));

  // What is shown comes from those bytes: the envelope's fields, and the
  // payload decoded into the event's data.
  Canonical c = parse_canonical(*bytes);
  CHECK(c.position == position);
  CHECK(pl::to_hex(c.prev_hash) == ev["prevhash"].get<std::string>());
  CHECK(c.stream == ev["subject"].get<std::string>());
  CHECK(c.stream_version == ev["streamversion"].get<std::uint64_t>());
  // The actor as the bytes keep it, a pseudonym; its name is sealed, the
  // first sealed field (field 0), for that pseudonym alone.
  CHECK(c.actor_id == ev["actorid"].get<std::string>());
  CHECK(ev["actor"].get<std::string>().rfind(c.actor_role + ":", 0) == 0);
  REQUIRE_FALSE(c.sealed.empty());
  CHECK(c.sealed[0].field == 0);
  CHECK(c.sealed[0].subjects == std::vector<std::string>{c.actor_id});
  CHECK(c.rules_version == ev["rulesversion"].get<std::uint32_t>());
  CHECK("eu.programme-ledger." + std::string(pl::event_type_name(static_cast<pl::fb::Event>(c.type))) ==
        ev["type"].get<std::string>());
}

}  // namespace

TEST_CASE("hashing the served bytes gives the leaf the signed checkpoint proves; a changed byte does not") {
  Server s;  // the demonstration data
  set_up_pair(s, {.programme = {.id = "proved"},
                  .mentee = {.id = "proved-m1"},
                  .mentor = {.application = "proved-a1", .mentor = "proved-e1"},
                  .pair = {.id = "proved-p1", .mentor = "proved-e1", .mentee = "proved-m1"}});
  Resp logged = s.post("/v1/pairs/proved-p1/sessions", session_body({.id = "proved-s1", .minutes = 95}));
  REQUIRE_MESSAGE(logged.status == 201, logged.body);

  // The checkpoint covers the head once the events are durable.
  pl::note::Checkpoint cp;
  for (int i = 0; i < 100; ++i) {
    cp = signed_checkpoint(s);
    if (cp.size == s.head()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  REQUIRE(cp.size == s.head());

  // A page of /v1/events from the start, and one at the end.
  Resp first = s.get("/v1/events?from=1&limit=40");
  REQUIRE_MESSAGE(first.status == 200, first.body);
  const json first_page = first.j();  // kept: a range-for does not keep a temporary's part alive
  REQUIRE(first_page["events"].size() == 40);
  for (const json& ev : first_page["events"]) check_event(s, ev, cp);
  const json last_page = s.get("/v1/events?from=" + std::to_string(cp.size - 5)).j();
  REQUIRE(last_page["events"].size() == 6);
  for (const json& ev : last_page["events"]) check_event(s, ev, cp);

  // A stream read: the session's event, its minutes read from the bytes.
  Resp pair = s.get("/v1/streams/pair-proved-p1");
  REQUIRE_MESSAGE(pair.status == 200, pair.body);
  const json pair_events = pair.j()["events"];
  bool seen_session = false;
  for (const json& ev : pair_events) {
    check_event(s, ev, cp);
    if (ev["type"] != "eu.programme-ledger.SessionLogged") continue;
    seen_session = true;
    Canonical c = parse_canonical(*pl::note::unbase64(ev["canonical"].get<std::string>()));
    auto payload = flatbuffers::GetRoot<pl::fb::Payload>(c.payload.data());
    const auto* logged_ev = payload->event_as<pl::fb::SessionLogged>();
    REQUIRE(logged_ev != nullptr);
    CHECK(logged_ev->minutes() == 95);
    CHECK(ev["data"]["minutes"] == 95);
  }
  CHECK(seen_session);

  // The check binds the figures: the same bytes with the session's minutes
  // changed (95 → 96, one byte of the payload) hash to a leaf the proof
  // refuses.
  const json& ev = pair_events.back();
  std::string bytes = *pl::note::unbase64(ev["canonical"].get<std::string>());
  std::uint64_t position = ev["position"];
  Resp pr =
      request(s.port, "GET",
              "/v1/audit/proof/inclusion?position=" + std::to_string(position) + "&size=" + std::to_string(cp.size));
  std::vector<pl::Hash> proof;
  const json answer = pr.j();
  for (const json& h : answer["hashes"]) proof.push_back(hash_of(*pl::note::unbase64(h.get<std::string>())));
  REQUIRE(
      pl::merkle::verify_inclusion(position - 1, cp.size, pl::merkle::leaf_hash(pl::sha256(bytes)), proof, cp.root));
  Canonical c = parse_canonical(bytes);
  const std::size_t at = c.payload_at;
  auto payload = flatbuffers::GetRoot<pl::fb::Payload>(c.payload.data());
  const auto* session = payload->event_as<pl::fb::SessionLogged>();
  REQUIRE(session != nullptr);
  // The field's bytes, through the table's vtable (the generated class hides
  // the base that finds them).
  const std::uint8_t* field =
      reinterpret_cast<const flatbuffers::Table*>(session)->GetAddressOf(pl::fb::SessionLogged::VT_MINUTES);
  REQUIRE(field != nullptr);
  std::string changed = bytes;
  changed[at + static_cast<std::size_t>(field - reinterpret_cast<const std::uint8_t*>(c.payload.data()))] += 1;
  const std::string changed_bytes = changed.substr(at, c.payload.size());
  auto changed_payload = flatbuffers::GetRoot<pl::fb::Payload>(changed_bytes.data());
  bool changed_minutes = changed_payload->event_as<pl::fb::SessionLogged>()->minutes() == 96;
  REQUIRE(changed_minutes);
  CHECK_FALSE(
      pl::merkle::verify_inclusion(position - 1, cp.size, pl::merkle::leaf_hash(pl::sha256(changed)), proof, cp.root));

  // The bytes are those the hash rule lays out (one writer for both).
  pl::EnvelopeRef ref;
  ref.position = c.position;
  ref.stream = c.stream;
  ref.stream_version = c.stream_version;
  ref.type = c.type;
  ref.recorded_at_us = c.recorded_at_us;
  ref.actor_id = c.actor_id;
  ref.actor_role = c.actor_role;
  ref.idempotency_key = c.idempotency_key;
  ref.correlation_id = c.correlation_id;
  ref.programme_id = c.programme_id;
  ref.rules_version = c.rules_version;
  ref.prev_hash = c.prev_hash;
  ref.payload = c.payload;
  for (const auto& f : c.sealed)
    ref.sealed.push_back(
        pl::SealedRef{f.field, std::vector<std::string_view>(f.subjects.begin(), f.subjects.end()), f.box});
  CHECK(pl::envelope_canonical(ref) == bytes);
  CHECK(pl::envelope_hash(ref) == pl::sha256(bytes));
}
