// JSON renderings of the read models and of command outcomes: what the API
// answers and what `ledger replay` prints. Pure functions of their arguments;
// none keeps a pointer past its return. Thread safety: as safe as reading the
// read models they are given (a published snapshot may be read from any
// thread).
//
// The answers asked most, or largest (the budget, a pair's line, a mentee's
// caps, a command's answer), are written once, by hand as text, byte for byte
// what the JSON library writes of the same value (render/text_out.h); their
// JSON values (budget_json, budget_answer, pair_json, caps_json,
// outcome_json) are those texts parsed. Defined in render/views_text.cc,
// render/views_pairs.cc; the rest in render/views_json.cc.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>

#include "log/store.h"
#include "read/read_models.h"
#include "writer/writer.h"

namespace pl {

// JSON text; bytes that are not UTF-8 (say, echoed from a bad request) are
// replaced, never thrown on.
std::string text_of(const nlohmann::json& j);

nlohmann::json rules_json(const Rules& r);
// A programme with its rules and counts.
nlohmann::json programme_json(const ReadModels& rm, const ProgrammeState& p);
nlohmann::json mentee_json(const ReadModels& rm, const MenteeState& m);
// A mentee's hours and fee against the caps: caps_text() without the
// position, parsed.
nlohmann::json caps_json(const ReadModels& rm, const MenteeState& m);
// The answer of GET /v1/mentees/{mid}/caps: caps_json() with the position, as
// text, written without building the JSON value (one of the reads asked most).
std::string caps_text(const ReadModels& rm, const MenteeState& m, std::uint64_t position);
nlohmann::json application_json(const ReadModels& rm, const ApplicationState& a);
nlohmann::json invoice_json(const ReadModels& rm, const InvoiceState& inv);
// The control of spending: documents attached, findings (samples:
// render/sample_json.h).
nlohmann::json evidence_links_json(const ReadModels& rm, const std::vector<EvidenceLink>& links);
nlohmann::json finding_json(const ReadModels& rm, const FindingRow& f);
// A pair as a row (its line, pair_line(), as pairs_text() writes it, parsed),
// or with `detail` whole: its sessions (with their summaries and void reasons)
// and invoices. Answered from `rm` alone.
// With `explain`, `explain` lists the events each of its figures was summed
// from (minutes_used: its sessions not voided).
nlohmann::json pair_json(const ReadModels& rm, const PairState& p, std::int32_t today, bool detail = false,
                         bool explain = false);
// The budget: budget_text()'s object without the months and the position,
// parsed; with `explain`, each line and the totals list the events each figure
// was summed from.
nlohmann::json budget_json(const Budget& b, bool explain);
// The events a figure was summed from: [{"position", "cents", "type", "date"}].
nlohmann::json explain_entries_json(const std::vector<Entry>& entries);
// A tour: its place, dates, topics, its mentees (`participants`) and every
// participant of every kind (`people`); with `mentees`, only those mentees
// and no one else (a mentor's view). Null when the tour is unknown.
nlohmann::json tour_json(const ReadModels& rm, const std::string& id,
                         const std::set<std::string, std::less<>>* mentees = nullptr);
// A mentee's needs diagnosis: {"areas", "note", "position"}, or null.
nlohmann::json needs_json(const ReadModels& rm, const MenteeState& m);
// The whole answer of GET /v1/programmes/{pid}/budget[?explain=1]: the budget
// with every line, the net invoiced by month and the position. (A mentor's
// answer is cut from it by the handler.)
nlohmann::json budget_answer(const ReadModels& rm, const std::string& programme_id, bool explain);
// The same answer from a budget (without explain) and its months, as of
// `position`: what a programme's budget timeline gives (read/timeline.h).
nlohmann::json budget_answer(const Budget& b, const std::vector<MonthFigure>& months, std::uint64_t position);
// budget_answer(b, months, position) as text, written without building the
// JSON value: a large programme's budget is megabytes of it.
std::string budget_text(const Budget& b, const std::vector<MonthFigure>& months, std::uint64_t position);
// The answer of GET /v1/programmes/{pid}/pairs: {"pairs": [pair_json() of
// each line's pair, without detail], "position", "today"}, as text, written
// without building the JSON value (a large programme's pairs are megabytes of
// it).
std::string pairs_text(const std::vector<PairLine>& lines, std::uint64_t position, std::int32_t today);
// The answer of GET /v1/programmes/{pid}/hours?group_by=<by_name>: the groups
// `keep` accepts (every group without it), their total and the position;
// with `explain`, each group lists the sessions it sums.
nlohmann::json hours_answer(const ReadModels& rm, const std::string& programme_id, HoursBy by, std::string_view by_name,
                            const std::function<bool(const HoursGroup&)>& keep = {}, bool explain = false);
nlohmann::json head_json(const Head& h);
// The answer to a command: {"id", "events": [{position, stream, version, type, hash}]}:
// outcome_text() parsed.
nlohmann::json outcome_json(const CommandOutcome& o);
// The answer to a command as text, written without building the JSON value:
// every command's answer is one.
std::string outcome_text(const CommandOutcome& o);
// Every read model as JSON, as `ledger replay` prints it: per programme its
// rules and counts, mentees, applications, pairs, budget, hours and tours.
nlohmann::json read_models_json(const ReadModels& rm, std::int32_t today);

// What a mentor may see: its own pairs and the mentees of those pairs.
struct MentorScope {
  std::set<std::string, std::less<>> pairs, mentees;
  MentorScope(const ReadModels& rm, const std::string& mentor_id) {
    if (const auto* own = State::find(rm.pairs_of_mentor(), mentor_id))
      for (const auto& pid : *own)
        if (const PairState* p = State::find(rm.core().pairs(), pid)) {
          pairs.insert(p->id);
          mentees.insert(p->mentee_id);
        }
  }
};

}  // namespace pl
