#include "domain/sampling.h"

#include <algorithm>
#include <numeric>

#include "base/assert.h"

namespace pl {
namespace {
__extension__ typedef unsigned __int128 Wide;  // k * T needs up to 126 bits
}  // namespace

std::optional<Population> parse_population(std::string_view s) {
  if (s == "invoices_paid") return Population::invoices_paid;
  if (s == "invoices") return Population::invoices;
  if (s == "sessions") return Population::sessions;
  return std::nullopt;
}

std::optional<SampleMethod> parse_sample_method(std::string_view s) {
  if (s == "monetary_unit") return SampleMethod::monetary_unit;
  if (s == "simple_random") return SampleMethod::simple_random;
  return std::nullopt;
}

bool has_amounts(Population p) { return p != Population::sessions; }

std::vector<PopulationItem> population(const State& s, const std::string& programme_id, Population p) {
  std::vector<PopulationItem> out;
  if (p == Population::sessions) {
    for (const auto& [pid, pair] : s.pairs()) {
      if (pair.programme_id != programme_id) continue;
      for (const auto& session : pair.sessions)
        if (!session.voided()) out.push_back({pid + "/" + session.id, 0});
    }
  } else {
    for (const auto& [iid, inv] : s.invoices()) {
      if (inv.cancelled) continue;
      const PairState* pair = State::find(s.pairs(), inv.pair_id);
      if (!pair || pair->programme_id != programme_id) continue;
      std::int64_t amount = p == Population::invoices_paid ? inv.paid_cents : inv.net_cents - inv.credited_cents;
      if (amount > 0) out.push_back({iid, amount});
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

std::string population_sha256(const std::vector<PopulationItem>& items, Population p) {
  std::string listing;
  for (const auto& i : items) {
    listing += i.id;
    if (has_amounts(p)) listing += '\t' + std::to_string(i.amount_cents);
    listing += '\n';
  }
  return to_hex(sha256(listing));
}

std::uint64_t SampleRandom::next() {
  std::string input = "pl-sample-v1";
  input.append(bytes_of(seed_));
  for (int i = 7; i >= 0; --i) input.push_back(static_cast<char>((n_ >> (8 * i)) & 0xff));
  ++n_;
  Hash h = sha256(input);
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | h[static_cast<std::size_t>(i)];
  return v;
}

std::uint64_t SampleRandom::below(std::uint64_t m) {
  PL_ASSERT(m > 0);
  // The largest multiple of m not above 2^64, less one: numbers above it
  // would favour the low remainders.
  std::uint64_t limit = UINT64_MAX - (UINT64_MAX % m + 1) % m;
  for (;;) {
    std::uint64_t v = next();
    if (v <= limit) return v % m;
  }
}

std::optional<std::string> undrawable(const std::vector<PopulationItem>& items, SampleMethod m) {
  std::int64_t total = 0;
  for (const auto& i : items) {
    if (m == SampleMethod::monetary_unit && i.amount_cents <= 0)
      return "unit '" + i.id + "' has an amount of " + std::to_string(i.amount_cents) +
             " cents; a monetary-unit draw needs amounts above 0";
    if (__builtin_add_overflow(total, i.amount_cents, &total)) return "the population's total does not fit in 63 bits";
  }
  return std::nullopt;
}

SampleDraw draw_sample(const std::vector<PopulationItem>& items, SampleMethod m, std::int64_t size, const Hash& seed) {
  PL_ASSERT(size >= 1 && static_cast<std::uint64_t>(size) <= items.size());  // REQUIRES
  SampleDraw d;
  for (const auto& i : items) d.total_cents += i.amount_cents;
  SampleRandom rnd(seed);
  const auto n = static_cast<std::uint64_t>(size);
  if (m == SampleMethod::simple_random) {
    // A partial Fisher-Yates shuffle of the positions 0..N-1: the first
    // `size` after it, in the order drawn.
    std::vector<std::size_t> idx(items.size());
    std::iota(idx.begin(), idx.end(), std::size_t{0});
    for (std::uint64_t i = 0; i < n; ++i) {
      std::uint64_t j = i + rnd.below(idx.size() - i);
      std::swap(idx[i], idx[j]);
      const auto& it = items[idx[i]];
      d.units.push_back({it.id, it.amount_cents, 1});
    }
    PL_ASSERT(d.units.size() == n);
    return d;
  }
  // Monetary unit (systematic): the population's cents laid end to end in
  // its order, a random start u in [0, T), and the points
  // floor((u + k*T) / n) for k = 0..n-1, spaced T/n apart (the interval);
  // a unit is selected when a point falls among its cents.
  PL_ASSERT(d.total_cents > 0);  // size >= 1 unit, each above 0 (undrawable)
  const auto total = static_cast<Wide>(d.total_cents);
  d.interval_cents = d.total_cents / size;
  const std::uint64_t u = rnd.below(static_cast<std::uint64_t>(d.total_cents));
  std::size_t at = 0;
  std::int64_t before = 0;  // cents of the units before `at`
  for (std::uint64_t k = 0; k < n; ++k) {
    auto point = static_cast<std::int64_t>((u + k * total) / n);
    PL_ASSERT(point < d.total_cents);  // u < T and k < n: a point falls among the units' cents
    while (point >= before + items[at].amount_cents) before += items[at++].amount_cents;
    if (!d.units.empty() && d.units.back().id == items[at].id)
      ++d.units.back().hits;
    else
      d.units.push_back({items[at].id, items[at].amount_cents, 1});
  }
  return d;
}

std::vector<SampleRequestRef> requests_of_population(const State& s, const std::string& programme_id,
                                                     const std::string& population, const std::string& listing_sha256) {
  std::vector<SampleRequestRef> out;
  const ProgrammeState* p = State::find(s.programmes(), programme_id);
  if (!p) return out;
  for (const auto& [id, r] : p->sample_requests)
    if (r.population == population)
      out.push_back({id, r.position, r.drawn_position, r.requested_by, r.population_sha256 == listing_sha256});
  std::sort(out.begin(), out.end(), [](const auto& x, const auto& y) { return x.position < y.position; });
  return out;
}

std::optional<std::string> check_sample_request(const State& before, const EventView& e) {
  const fb::SampleRequested* q = e.as<fb::SampleRequested>();
  if (!q) return "the event is not a SampleRequested";
  auto kind = parse_population(EventView::sv(q->population()));
  if (!kind || !parse_sample_method(EventView::sv(q->method()))) return "unknown population or method";
  auto items = population(before, std::string(EventView::sv(q->programme_id())), *kind);
  std::int64_t total = 0;
  for (const auto& i : items)
    if (__builtin_add_overflow(total, i.amount_cents, &total)) return "the population's total does not fit in 63 bits";
  std::string listing = population_sha256(items, *kind);
  if (listing != EventView::sv(q->population_sha256()))
    return "the population's listing hashes to " + listing + ", the request records " +
           std::string(EventView::sv(q->population_sha256()));
  if (static_cast<std::int64_t>(items.size()) != q->population_count() || total != q->population_total_cents())
    return "the population's count or total differs from what the request records";
  return std::nullopt;
}

SampleRedraw redraw_sample(const State& before, const EventView& e) {
  SampleRedraw r;
  const fb::SampleDrawn* d = e.as<fb::SampleDrawn>();
  if (!d) {
    r.mismatch = "the event is not a SampleDrawn";
    return r;
  }
  auto sv = [](const flatbuffers::String* s) { return EventView::sv(s); };
  r.programme_id = std::string(sv(d->programme_id()));
  r.id = std::string(sv(d->sample_id()));
  r.population = std::string(sv(d->population()));
  r.method = std::string(sv(d->method()));
  r.size = d->size();
  r.request_position = d->request_position();
  r.seed_position = d->seed_position();
  auto fail = [&](std::string why) {
    r.mismatch = std::move(why);
    return r;
  };
  auto kind = parse_population(r.population);
  auto method = parse_sample_method(r.method);
  if (!kind || !method) return fail("unknown population or method");
  if (e.prev_hash_bytes() != bytes_of(before.head_hash()))
    return fail("the state given is not the one just before the sample");
  if (r.request_position == 0) {
    // Drawn at once: the seed is the hash of the event before.
    if (r.seed_position != 0) return fail("a sample drawn without a request names a seed position");
    if (EventView::bytes(d->seed()) != e.prev_hash_bytes()) return fail("the seed is not the previous event's hash");
    std::copy_n(e.prev_hash_bytes().begin(), r.seed.size(), r.seed.begin());
    r.items = population(before, r.programme_id, *kind);
  } else {
    // Drawn on request: the request's population, and the hash of the first
    // event after it, as the fold kept them.
    const ProgrammeState* p = State::find(before.programmes(), r.programme_id);
    const SampleRequestState* found = nullptr;
    if (p)
      if (auto q = p->sample_requests.find(r.id); q != p->sample_requests.end()) found = &q->second;
    if (!found) return fail("no request for the sample comes before its draw");
    const SampleRequestState& req = *found;
    if (req.position != r.request_position)
      return fail("the draw names the request at position " + std::to_string(r.request_position) +
                  ", the request is at " + std::to_string(req.position));
    if (req.drawn_position != 0) return fail("the sample was drawn before, at " + std::to_string(req.drawn_position));
    if (req.population != r.population || req.method != r.method || req.size != r.size)
      return fail("the draw's population, method or size is not the request's");
    if (req.seed_position == 0 || req.seed_position != r.seed_position || req.seed_position != req.position + 1)
      return fail("the seed is not the hash of the first event after the request");
    if (EventView::bytes(d->seed()) != bytes_of(req.seed))
      return fail("the seed is not the hash of the event at position " + std::to_string(req.seed_position));
    r.seed = req.seed;
    r.items = req.items;
    if (population_sha256(r.items, *kind) != req.population_sha256)
      return fail("the request records another population than the events before it give");
  }
  r.population_sha256 = population_sha256(r.items, *kind);
  if (r.population_sha256 != sv(d->population_sha256()))
    return fail("the population's listing hashes to " + r.population_sha256 + ", the event records " +
                std::string(sv(d->population_sha256())));
  if (static_cast<std::int64_t>(r.items.size()) != d->population_count())
    return fail("the population has " + std::to_string(r.items.size()) + " units, the event records " +
                std::to_string(d->population_count()));
  if (r.size < 1 || static_cast<std::uint64_t>(r.size) > r.items.size())
    return fail("the size does not fit the population");
  if (auto why = undrawable(r.items, *method)) return fail(*why);
  r.draw = draw_sample(r.items, *method, r.size, r.seed);
  if (r.draw.total_cents != d->population_total_cents()) return fail("the population's total differs");
  if (r.draw.interval_cents != d->interval_cents()) return fail("the interval differs");
  const auto* units = d->items();
  std::size_t n = units ? units->size() : 0;
  if (n != r.draw.units.size())
    return fail("the draw selects " + std::to_string(r.draw.units.size()) + " units, the event records " +
                std::to_string(n));
  for (flatbuffers::uoffset_t i = 0; i < n; ++i) {
    const auto* u = units->Get(i);
    const SampleUnit& mine = r.draw.units[i];
    if (sv(u->id()) != mine.id || u->amount_cents() != mine.amount_cents || u->hits() != mine.hits)
      return fail("unit " + std::to_string(i + 1) + " drawn again is " + mine.id + ", the event records " +
                  std::string(sv(u->id())));
  }
  r.matches = true;
  return r;
}

}  // namespace pl
