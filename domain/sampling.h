// Samples anyone can draw again: the population of a programme at a point of
// the log, listed in a stated order, and a deterministic draw from a seed
// nobody knew when the sample was asked for: the hash of the first event
// after its SampleRequested (events drawn at once, before requests existed:
// the hash of the event before SampleDrawn). The same State and seed give the
// same selection, in the writer and offline (`ledger audit sample`). The
// algorithm, and why the one who asks cannot steer it, are written out in
// docs/CONTROL.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/sha256.h"
#include "domain/commands.h"
#include "domain/decision.h"
#include "domain/state.h"

namespace pl {

enum class Population : std::uint8_t { invoices_paid, invoices, sessions };
enum class SampleMethod : std::uint8_t { monetary_unit, simple_random };
std::optional<Population> parse_population(std::string_view s);
std::optional<SampleMethod> parse_sample_method(std::string_view s);
// Whether the units carry amounts (monetary-unit sampling needs them).
bool has_amounts(Population p);

// PopulationItem: in domain/state.h (a request keeps its population).
// The population of a programme in the State, in byte order of the ids:
//   invoices_paid  invoices not cancelled with a VAT-excluded amount paid: that amount
//   invoices       invoices not cancelled with a net invoiced (less credit notes) above 0: that net
//   sessions       sessions not voided (no amounts)
std::vector<PopulationItem> population(const State& s, const std::string& programme_id, Population p);
// The SHA-256 (hex) of the listing: one line per unit, "id TAB amount LF"
// (sessions: "id LF"), in the population's order.
std::string population_sha256(const std::vector<PopulationItem>& items, Population p);

struct SampleUnit {
  std::string id;
  std::int64_t amount_cents = 0;
  std::int32_t hits = 1;  // monetary unit: selection points in the unit
};
struct SampleDraw {
  std::int64_t total_cents = 0;     // of the population
  std::int64_t interval_cents = 0;  // monetary unit: total / size, rounded down
  std::vector<SampleUnit> units;    // in the order drawn
};
// Why `items` cannot be drawn by `m`, or nullopt when they can: their total
// does not fit in 63 bits, or (monetary unit) a unit's amount is not above 0.
// The writer refuses such a draw; a check of a pack refuses such an event.
std::optional<std::string> undrawable(const std::vector<PopulationItem>& items, SampleMethod m);
// Draws `size` units. REQUIRES: 1 <= size <= items.size(), and
// undrawable(items, m) is nullopt (the caller checks).
SampleDraw draw_sample(const std::vector<PopulationItem>& items, SampleMethod m, std::int64_t size, const Hash& seed);

// A request for the same population of the same programme: what a reader
// of one sample is shown of the others, so that a sample asked for again and
// again is seen (docs/CONTROL.md).
struct SampleRequestRef {
  std::string id;
  std::uint64_t position = 0;        // of the SampleRequested
  std::uint64_t drawn_position = 0;  // 0: not drawn
  SealedText requested_by;           // the actor's name
  bool same_listing = false;         // the same units and amounts (listing hash) as the sample's
};
// Every request of `programme_id` for `population` (the kind), in the order
// asked, each marked whether its listing hashes to `listing_sha256`.
std::vector<SampleRequestRef> requests_of_population(const State& s, const std::string& programme_id,
                                                     const std::string& population, const std::string& listing_sha256);

// The decisions (called by decide(), from domain/decide_control.cc, which has
// checked the programme and the sample's id): a request lists the population and
// records it; a draw needs its request's seed fixed (409 seed_pending before
// an event follows the request) and draws from the request's population.
Result<Decision> decide_sample_request(const State& s, const ProgrammeState& p, const RequestSample& c,
                                       std::optional<std::uint64_t> expected);
Result<Decision> decide_sample_draw(const ProgrammeState& p, const DrawSample& c,
                                    std::optional<std::uint64_t> expected);

// Why a SampleRequested does not record the population the State just
// before it lists (count, total, listing hash), or nullopt when it does.
std::optional<std::string> check_sample_request(const State& before, const EventView& e);

// A SampleDrawn drawn again from the State just before it (every event up
// to the one before). Drawn on request: the population the fold listed at
// the request, the seed the hash of the first event after the request, both
// as that State keeps them. Drawn at once (request_position 0): the
// population listed again, the seed the event's previous hash. The draw is
// made again and compared with what the event records.
struct SampleRedraw {
  std::string programme_id, id, population, method;
  std::int64_t size = 0;
  std::vector<PopulationItem> items;  // the population, in its order
  std::string population_sha256;
  Hash seed{};
  std::uint64_t request_position = 0, seed_position = 0;  // 0: drawn at once
  SampleDraw draw;                                        // made again
  bool matches = false;
  std::string mismatch;  // the first difference; empty when it matches
  // Filled by the pack's check once every event is folded: every request
  // for the same population of the programme, this one included.
  std::vector<SampleRequestRef> requests;
};
SampleRedraw redraw_sample(const State& before, const EventView& e);

// The generator: the n-th number is the first 8 bytes (big-endian) of
// SHA-256("pl-sample-v1" ‖ seed ‖ n as 8 bytes big-endian), n = 0, 1, ...;
// below(m) takes numbers until one falls under the largest multiple of m
// that fits in 64 bits, and answers it modulo m (no bias).
class SampleRandom {
 public:
  explicit SampleRandom(const Hash& seed) : seed_(seed) {}
  std::uint64_t next();
  std::uint64_t below(std::uint64_t m);

 private:
  Hash seed_;
  std::uint64_t n_ = 0;
};

}  // namespace pl
