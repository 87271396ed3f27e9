// Samples as JSON: what the control view answers of a sample (its request,
// its seed once an event has followed the request, its selection once drawn,
// and every request of the same population, so that a sample asked for again
// is seen), and a sample drawn again offline (`ledger audit sample`).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "domain/sampling.h"
#include "read/read_models.h"

namespace pl {

// The samples of a programme, requested or drawn, in the order asked for
// (a sample drawn at once, before requests existed: where it was drawn).
nlohmann::json samples_json(const ReadModels& rm, const std::string& programme_id, const ProgrammeIndex& idx);
// One of them; null when the programme has no sample `id`.
nlohmann::json sample_json(const ReadModels& rm, const std::string& programme_id, const ProgrammeIndex& idx,
                           const std::string& id);

// The requests of one population as the answers show them:
// {"count", "requests": [{"id", "position", "requested_by", "drawn_position", "same_listing"}]}.
nlohmann::json population_requests_json(const ReadModels& rm, const std::vector<SampleRequestRef>& requests);

// A sample drawn again from a pack; with `list_population`, every unit of
// its population.
nlohmann::json redraw_json(const ReadModels& rm, const SampleRedraw& s, bool list_population);

}  // namespace pl
