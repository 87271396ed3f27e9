// Samples decided: a request lists the population and records it; the draw,
// once an event has followed the request, draws from that population with
// that event's hash as the seed (docs/CONTROL.md). decide() in
// domain/decide_control.cc has checked the programme and the sample's id.
#include "domain/sampling.h"

namespace pl {
namespace {

Status bad(std::string m) { return Status::invalid(std::move(m)); }

Decision one_event(const ProgrammeState& p, const std::string& id, std::optional<std::uint64_t> expected,
                   fb::Event type, std::string payload, std::vector<PersonalText> personal = {}) {
  Decision d;
  d.id = id;
  d.programme_id = p.id;
  d.rules_version = p.rules_version;
  d.events.push_back({programme_stream(p.id), expected, type, std::move(payload), std::move(personal)});
  return d;
}

}  // namespace

Result<Decision> decide_sample_request(const State& s, const ProgrammeState& p, const RequestSample& c,
                                       std::optional<std::uint64_t> expected) {
  auto population_kind = parse_population(c.population);
  if (!population_kind)
    return bad("population '" + c.population + "' is not one of: invoices_paid, invoices, sessions");
  auto method = parse_sample_method(c.method);
  if (!method) return bad("method '" + c.method + "' is not one of: monetary_unit, simple_random");
  if (c.size < 1) return bad("size must be at least 1");
  if (c.reason.size() > 4096) return bad("reason is longer than 4096 bytes");
  if (p.samples.count(c.id) || p.sample_requests.count(c.id))
    return Status::conflict("conflict", "sample '" + c.id + "' already exists");
  if (*method == SampleMethod::monetary_unit && !has_amounts(*population_kind))
    return Status::rule("method_not_applicable",
                        "a population of " + c.population + " has no amounts: draw it with simple_random");
  std::vector<PopulationItem> items = population(s, c.programme_id, *population_kind);
  if (items.empty())
    return Status::rule("empty_population", "programme '" + c.programme_id + "' has no " + c.population + " yet");
  if (static_cast<std::uint64_t>(c.size) > items.size())
    return Status::rule("sample_too_large", "a sample of " + std::to_string(c.size) + " was asked of a population of " +
                                                std::to_string(items.size()) + " " + c.population);
  if (auto why = undrawable(items, *method)) return bad(*why);
  std::int64_t total = 0;
  for (const auto& i : items) total += i.amount_cents;  // undrawable() has checked it fits
  std::string listing_hash = population_sha256(items, *population_kind);
  return one_event(p, c.id, expected, fb::Event::SampleRequested,
                   make_payload(fb::Event::SampleRequested,
                                [&](flatbuffers::FlatBufferBuilder& b) {
                                  return fb::CreateSampleRequestedDirect(
                                             b, c.programme_id.c_str(), c.id.c_str(), c.population.c_str(),
                                             c.method.c_str(), static_cast<std::int32_t>(c.size), nullptr,
                                             static_cast<std::int64_t>(items.size()), total, listing_hash.c_str())
                                      .Union();
                                }),
                   {PersonalText{fb::SampleRequested::VT_REASON, {}, c.reason}});
}

Result<Decision> decide_sample_draw(const ProgrammeState& p, const DrawSample& c,
                                    std::optional<std::uint64_t> expected) {
  auto found = p.sample_requests.find(c.id);
  if (found == p.sample_requests.end()) {
    if (p.samples.count(c.id))
      return Status::conflict("sample_drawn", "sample '" + c.id + "' was drawn when it was taken, without a request");
    return Status::not_found("sample '" + c.id + "' was not requested in programme '" + p.id + "'");
  }
  const SampleRequestState& r = found->second;
  if (r.drawn_position != 0)
    return Status::conflict("sample_drawn", "sample '" + c.id + "' was drawn at position " +
                                                std::to_string(r.drawn_position) + ": a sample is drawn once");
  if (r.seed_position == 0)
    return Status::conflict("seed_pending", "sample '" + c.id + "' was requested at position " +
                                                std::to_string(r.position) +
                                                ", the head: its seed is the hash of the next event, not written yet");
  auto kind = parse_population(r.population);
  auto method = parse_sample_method(r.method);
  if (!kind || !method) return bad("the request of sample '" + c.id + "' names an unknown population or method");
  if (r.size < 1 || static_cast<std::uint64_t>(r.size) > r.items.size())
    return bad("the request of sample '" + c.id + "' does not fit its population");
  if (auto why = undrawable(r.items, *method)) return bad(*why);
  SampleDraw d = draw_sample(r.items, *method, r.size, r.seed);
  std::string listing_hash = population_sha256(r.items, *kind);
  return one_event(p, c.id, expected, fb::Event::SampleDrawn,
                   make_payload(fb::Event::SampleDrawn, [&](flatbuffers::FlatBufferBuilder& b) {
                     std::vector<flatbuffers::Offset<fb::SampleItem>> units;
                     for (const auto& u : d.units)
                       units.push_back(fb::CreateSampleItemDirect(b, u.id.c_str(), u.amount_cents, u.hits));
                     std::vector<std::uint8_t> seed_bytes(r.seed.begin(), r.seed.end());
                     return fb::CreateSampleDrawnDirect(b, p.id.c_str(), c.id.c_str(), r.population.c_str(),
                                                        r.method.c_str(), static_cast<std::int32_t>(r.size),
                                                        &seed_bytes, static_cast<std::int64_t>(r.items.size()),
                                                        d.total_cents, listing_hash.c_str(), d.interval_cents, &units,
                                                        r.position, r.seed_position)
                         .Union();
                   }));
}

}  // namespace pl
