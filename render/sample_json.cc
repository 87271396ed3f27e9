#include "render/sample_json.h"

#include <algorithm>

#include "base/dates.h"
#include "base/sha256.h"

namespace pl {

using nlohmann::json;

namespace {

json units_json(const std::vector<SampleRow::Unit>& units) {
  json out = json::array();
  for (const auto& u : units) out.push_back({{"id", u.id}, {"amount_cents", u.amount_cents}, {"hits", u.hits}});
  return out;
}

json or_null(std::uint64_t position) { return position ? json(position) : json(nullptr); }

// A sample from its request (null for one drawn at once) and its draw (null
// while not drawn).
json one_sample(const ReadModels& rm, const std::string& programme_id, const SampleRequestState* req,
                const SampleRow* drawn) {
  const std::string& id = req ? req->id : drawn->id;
  json j = {{"id", id}};
  if (req) {
    j["status"] = drawn ? "drawn" : req->seed_position ? "seeded" : "requested";
    j["population"] = req->population;
    j["method"] = req->method;
    j["size"] = req->size;
    j["reason"] = rm.text(req->reason);
    j["request"] = {{"position", req->position},
                    {"recorded_at", format_instant(req->recorded_at_us)},
                    {"recorded_by", rm.text(req->requested_by)}};
    j["seed"] = req->seed_position ? json(to_hex(bytes_of(req->seed))) : json(nullptr);
    j["seed_position"] = or_null(req->seed_position);
    j["population_count"] = req->population_count;
    j["population_total_cents"] = req->population_total_cents;
    j["population_sha256"] = req->population_sha256;
  } else {
    j["status"] = "drawn";
    j["population"] = drawn->population;
    j["method"] = drawn->method;
    j["size"] = drawn->size;
    j["reason"] = "";
    j["request"] = nullptr;
    j["seed"] = drawn->seed;
    j["seed_position"] = nullptr;
    j["population_count"] = drawn->population_count;
    j["population_total_cents"] = drawn->population_total_cents;
    j["population_sha256"] = drawn->population_sha256;
  }
  j["interval_cents"] = drawn ? drawn->interval_cents : 0;
  j["items"] = drawn ? units_json(drawn->units) : json::array();
  // The last event of the sample: its draw, or its request.
  if (drawn) {
    j["position"] = drawn->recorded.position;
    j["recorded_at"] = format_instant(drawn->recorded.at_us);
    j["recorded_by"] = rm.text(drawn->recorded.by);
  } else {
    j["position"] = req->position;
    j["recorded_at"] = format_instant(req->recorded_at_us);
    j["recorded_by"] = rm.text(req->requested_by);
  }
  j["population_requests"] =
      population_requests_json(rm, requests_of_population(rm.core(), programme_id, j["population"].get<std::string>(),
                                                          j["population_sha256"].get<std::string>()));
  return j;
}

const SampleRequestState* request_of(const ReadModels& rm, const std::string& programme_id, const std::string& id) {
  const ProgrammeState* p = State::find(rm.core().programmes(), programme_id);
  if (!p) return nullptr;
  auto it = p->sample_requests.find(id);
  return it == p->sample_requests.end() ? nullptr : &it->second;
}

const SampleRow* drawn_of(const ProgrammeIndex& idx, const std::string& id) {
  for (const auto& s : idx.samples)
    if (s.id == id) return &s;
  return nullptr;
}

}  // namespace

json population_requests_json(const ReadModels& rm, const std::vector<SampleRequestRef>& requests) {
  json list = json::array();
  for (const auto& r : requests)
    list.push_back({{"id", r.id},
                    {"position", r.position},
                    {"requested_by", rm.text(r.requested_by)},
                    {"drawn_position", or_null(r.drawn_position)},
                    {"same_listing", r.same_listing}});
  return {{"count", requests.size()}, {"requests", list}};
}

json samples_json(const ReadModels& rm, const std::string& programme_id, const ProgrammeIndex& idx) {
  // (position asked for, or drawn at once; id)
  std::vector<std::pair<std::uint64_t, std::string>> order;
  if (const ProgrammeState* p = State::find(rm.core().programmes(), programme_id))
    for (const auto& [id, r] : p->sample_requests) order.emplace_back(r.position, id);
  for (const auto& s : idx.samples)
    if (!request_of(rm, programme_id, s.id)) order.emplace_back(s.recorded.position, s.id);
  std::sort(order.begin(), order.end());
  json out = json::array();
  for (const auto& [position, id] : order) out.push_back(sample_json(rm, programme_id, idx, id));
  return out;
}

json sample_json(const ReadModels& rm, const std::string& programme_id, const ProgrammeIndex& idx,
                 const std::string& id) {
  const SampleRequestState* req = request_of(rm, programme_id, id);
  const SampleRow* drawn = drawn_of(idx, id);
  if (!req && !drawn) return nullptr;
  return one_sample(rm, programme_id, req, drawn);
}

json redraw_json(const ReadModels& rm, const SampleRedraw& s, bool list_population) {
  json units = json::array();
  for (const auto& u : s.draw.units)
    units.push_back({{"id", u.id}, {"amount_cents", u.amount_cents}, {"hits", u.hits}});
  json j = {{"id", s.id},
            {"programme_id", s.programme_id},
            {"population", s.population},
            {"method", s.method},
            {"size", s.size},
            {"request_position", or_null(s.request_position)},
            {"seed", to_hex(bytes_of(s.seed))},
            {"seed_position", or_null(s.seed_position)},
            {"population_count", s.items.size()},
            {"population_total_cents", s.draw.total_cents},
            {"population_sha256", s.population_sha256},
            {"interval_cents", s.draw.interval_cents},
            {"selection", units},
            {"matches_the_event", s.matches},
            {"population_requests", population_requests_json(rm, s.requests)}};
  if (list_population) {
    json items = json::array();
    for (const auto& i : s.items) items.push_back({{"id", i.id}, {"amount_cents", i.amount_cents}});
    j["population_units"] = items;
  }
  return j;
}

}  // namespace pl
