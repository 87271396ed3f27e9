// Programmes and what hangs off them: mentees, applications, budget, hours, tours, joint meetings.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>

#include "base/checked.h"
#include "base/dates.h"
#include "domain/commands.h"
#include "http/api.h"
#include "render/budget_xlsx.h"
#include "render/event_json.h"

namespace pl {

using nlohmann::json;

void Api::programmes(Ctx& c) {
  with_models(c, [](Ctx& c2, const ReadModels& rm, std::int32_t) {
    std::vector<const ProgrammeState*> ps;
    for (auto& [id, p] : rm.core().programmes()) ps.push_back(&p);
    std::sort(ps.begin(), ps.end(), [](auto* a, auto* b) { return a->id < b->id; });
    json out = json::array();
    for (auto* p : ps) out.push_back(programme_json(rm, *p));
    c2.reply(json_response(200, {{"programmes", out}, {"position", rm.position()}}));
  });
}

void Api::programme(Ctx& c) {
  with_models(c, [](Ctx& c2, const ReadModels& rm, std::int32_t) {
    if (!c2.programme_or_404(rm)) return;
    const ProgrammeState* p = State::find(rm.core().programmes(), c2.params["pid"]);
    json out = programme_json(rm, *p);
    out["position"] = rm.position();
    c2.reply(json_response(200, out));
  });
}

void Api::mentees(Ctx& c) {
  with_models(c, [](Ctx& c2, const ReadModels& rm, std::int32_t) {
    const ProgrammeIndex* idx = c2.programme_or_404(rm);
    if (!idx) return;
    std::optional<MentorScope> scope = c2.mentor_scope(rm);
    json out = json::array();
    for (auto& id : idx->mentees)
      if (auto* m = State::find(rm.core().mentees(), id); m && (!scope || scope->mentees.count(id)))
        out.push_back(mentee_json(rm, *m));
    c2.reply(json_response(200, {{"mentees", out}, {"position", rm.position()}}));
  });
}

// The mentee the path names; otherwise answers 404 and gives nullptr. (A
// mentor's reach was checked before: the route's MentorLimit::own.)
const MenteeState* Api::readable_mentee(Ctx& c, const ReadModels& rm) {
  const MenteeState* m = State::find(rm.core().mentees(), c.params["mid"]);
  if (!m) return c.fail(404, "not_found", "no mentee '" + c.params["mid"] + "'"), nullptr;
  return m;
}

void Api::mentee(Ctx& c) {
  with_models(c, [](Ctx& c2, const ReadModels& rm, std::int32_t) {
    const MenteeState* m = readable_mentee(c2, rm);
    if (!m) return;
    json out = mentee_json(rm, *m);
    out["position"] = rm.position();
    c2.reply(json_response(200, out));
  });
}

void Api::caps(Ctx& c) {
  with_models(c, [](Ctx& c2, const ReadModels& rm, std::int32_t) {
    const MenteeState* m = readable_mentee(c2, rm);
    if (!m) return;
    c2.reply(text_response(200, caps_text(rm, *m, rm.position())));
  });
}

void Api::applications(Ctx& c) {
  with_models(c, [](Ctx& c2, const ReadModels& rm, std::int32_t) {
    const ProgrammeIndex* idx = c2.programme_or_404(rm);
    if (!idx) return;
    std::string status = c2.q("status");
    if (!status.empty() && status != "submitted" && status != "accepted" && status != "rejected")
      return c2.fail(400, "bad_request", "status must be submitted, accepted or rejected");
    json out = json::array();
    for (auto& id : idx->applications)
      if (auto* a = State::find(rm.core().applications(), id)) {
        if (c2.is_mentor() && a->mentor_id != c2.who.mentor_id) continue;  // its own application only
        json j = application_json(rm, *a);
        if (status.empty() || j["status"] == status) out.push_back(std::move(j));
      }
    c2.reply(json_response(200, {{"applications", out}, {"position", rm.position()}}));
  });
}

void Api::application(Ctx& c) {
  with_models(c, [](Ctx& c2, const ReadModels& rm, std::int32_t) {
    const ApplicationState* a = State::find(rm.core().applications(), c2.params["aid"]);
    if (!a) return c2.fail(404, "not_found", "no application '" + c2.params["aid"] + "'");
    c2.reply(json_response(200, application_json(rm, *a)));
  });
}

namespace {
HttpResponse budget_response(const Budget& b, const std::vector<MonthFigure>& months, std::uint64_t position) {
  return text_response(200, budget_text(b, months, position));
}
}  // namespace

void Api::budget_view(Ctx& c) {
  with_models(
      c,
      [](Ctx& c2, const ReadModels& rm, std::int32_t) {
        if (!c2.programme_or_404(rm)) return;
        bool explain = c2.explain();
        if (!explain && !c2.is_mentor()) {
          // Written straight to text: a large programme's budget is megabytes.
          const std::string& pid = c2.params["pid"];
          return c2.reply(budget_response(budget(rm, pid, false), net_invoiced_by_month(rm, pid), rm.position()));
        }
        json out = budget_answer(rm, c2.params["pid"], explain);
        if (c2.is_mentor()) {
          // A mentor sees the lines of its own mentees and its own line; the
          // totals, the countries and the months are the programme's.
          MentorScope scope = *c2.mentor_scope(rm);
          json mentees = json::array(), mentors = json::array();
          for (auto& l : out["mentees"])
            if (scope.mentees.count(l["mentee_id"].get<std::string>())) mentees.push_back(l);
          for (auto& l : out["mentors"])
            if (l["mentor_id"] == c2.who.mentor_id) mentors.push_back(l);
          out["mentees"] = mentees;
          out["mentors"] = mentors;
        }
        c2.reply(json_response(200, out));
      },
      [this](Ctx& c2, const std::string& programme, std::uint64_t position, std::int32_t) {
        // The budget as of a point, without explanations, for those who see all
        // of it: from the programme's budget timeline, when it has one.
        if (c2.explain() || c2.is_mentor() || programme != c2.params["pid"]) return false;
        auto a = asof_models_->budget_at(programme, position);
        if (!a || !*a) return false;  // no timeline (or it could not be read): from the models
        if (!(*a)->known) {
          c2.fail_no_programme(programme);
          return true;
        }
        c2.reply(budget_response((*a)->budget, (*a)->months, position));
        return true;
      });
}

namespace {

// A file name made of the id's letters, digits, '.', '_' and '-' (others
// become '_'): safe inside a quoted Content-Disposition.
std::string file_name_part(const std::string& id) {
  std::string out = id;
  for (char& ch : out)
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
          ch == '-'))
      ch = '_';
  return out;
}

}  // namespace

// The figures are gathered here, from the models the request reads (as the
// budget's JSON is); the workbook is written on the as-of thread, into a
// temporary file whose name is removed at once, and sent from it.
void Api::budget_xlsx(Ctx& c) {
  with_models(c, [this](Ctx& c2, const ReadModels& rm, std::int32_t) {
    const std::string pid = c2.params["pid"];
    if (!c2.programme_or_404(rm)) return;
    auto src = std::make_shared<BudgetWorkbookSource>(budget_workbook_source(rm, pid));
    src->as_of = c2.has("as_of") ? c2.q("as_of") : c2.has("at") ? "position " + c2.q("at") : std::string();
    src->written_at_us = parts_.clock();
    auto shared = std::make_shared<Ctx>(std::move(c2));
    bool posted = asof_worker_->post([shared, src, pid] {
      auto file = budget_workbook_file(*src);
      if (!file) {
        spdlog::warn("budget.xlsx of {}: {}", pid, file.status().to_string());
        return shared->fail(file.status());
      }
      HttpResponse r;
      r.content_type = kXlsxContentType;
      r.stream = HttpResponse::Stream::file;
      r.file = std::move(file).value();
      r.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + file_name_part(pid) + "-budget.xlsx\"");
      shared->reply(std::move(r));
    });
    if (!posted) shared->fail(503, "busy", "too many as-of reads and workbooks are waiting; retry in a moment");
  });
}

void Api::hours_view(Ctx& c) {
  with_models(c, [](Ctx& c2, const ReadModels& rm, std::int32_t) {
    if (!c2.programme_or_404(rm)) return;
    std::string by_name = c2.has("group_by") ? c2.q("group_by") : "mentee";
    auto by = parse_hours_by(by_name);
    if (!by) return c2.fail(400, "bad_request", "group_by must be mentee, mentor, pair, month, topic, mode or format");
    std::optional<MentorScope> scope;
    if (c2.is_mentor() && (*by == HoursBy::mentee || *by == HoursBy::mentor || *by == HoursBy::pair))
      scope.emplace(rm, c2.who.mentor_id);
    std::function<bool(const HoursGroup&)> keep;
    if (scope)  // a mentor sees its own groups only
      keep = [&](const HoursGroup& g) {
        return *by == HoursBy::mentee ? scope->mentees.count(g.key) > 0
               : *by == HoursBy::pair ? scope->pairs.count(g.key) > 0
                                      : g.key == c2.who.mentor_id;
      };
    bool explain = c2.explain();
    // A month's, a topic's, a mode's or a format's sessions are every
    // mentor's: a mentor has their totals, not the sessions behind them.
    if (explain && c2.is_mentor() && !scope)
      return c2.fail(
          403, "forbidden",
          "a mentor's hours are explained by mentee, mentor or pair only (its own sessions), not by " + by_name);
    c2.reply(json_response(200, hours_answer(rm, c2.params["pid"], *by, by_name, keep, explain)));
  });
}

void Api::mentor_suggestions(Ctx& c) {
  with_models(c, [](Ctx& c2, const ReadModels& rm, std::int32_t) {
    const MenteeState* m = State::find(rm.core().mentees(), c2.params["mid"]);
    if (!m) return c2.fail(404, "not_found", "no mentee '" + c2.params["mid"] + "'");
    json out = json::array();
    for (auto& s : pl::mentor_suggestions(rm, *m)) {
      json parts = json::array();
      for (auto& p : s.parts) parts.push_back({{"name", p.name}, {"points", p.points}, {"why", p.why}});
      out.push_back({{"mentor_id", s.mentor->id},
                     {"name", rm.text(s.mentor->name)},
                     {"organisation", s.organisation},
                     {"country", s.mentor->country},
                     {"offered", s.offered},
                     {"matched", s.matched},
                     {"active_pairs", s.active_pairs},
                     {"score", s.score},
                     {"parts", parts}});
    }
    c2.reply(json_response(200, {{"mentee_id", m->id},
                                 {"needs", m->needs},
                                 {"diagnosed", m->diagnosed},
                                 {"suggestions", out},
                                 {"position", rm.position()}}));
  });
}

void Api::tours(Ctx& c) {
  with_models(c, [](Ctx& c2, const ReadModels& rm, std::int32_t) {
    const ProgrammeIndex* idx = c2.programme_or_404(rm);
    if (!idx) return;
    std::optional<MentorScope> scope = c2.mentor_scope(rm);
    json out = json::array();
    for (auto& id : idx->tours)  // a mentor: its own mentees only
      if (json t = tour_json(rm, id, scope ? &scope->mentees : nullptr); !t.is_null()) out.push_back(std::move(t));
    const ProgrammeState* prog = State::find(rm.core().programmes(), c2.params["pid"]);
    c2.reply(json_response(200, {{"tours", out},
                                 {"max_tours_per_mentee", prog ? prog->rules.max_tours_per_mentee : 0},
                                 {"position", rm.position()}}));
  });
}

void Api::meetings(Ctx& c) {
  with_models(c, [](Ctx& c2, const ReadModels& rm, std::int32_t) {
    const ProgrammeIndex* idx = c2.programme_or_404(rm);
    if (!idx) return;
    std::optional<MentorScope> scope = c2.mentor_scope(rm);
    json out = json::array();
    for (auto& m : idx->meetings) {
      json pair_ids = json::array();
      for (auto& p : m.pair_ids)
        if (!scope || scope->pairs.count(p)) pair_ids.push_back(p);
      if (scope && pair_ids.empty()) continue;  // a mentor: the meetings of its own pairs
      out.push_back({{"id", m.id},
                     {"title", m.title},
                     {"date", format_date(m.date)},
                     {"pair_ids", pair_ids},
                     {"position", m.position}});
    }
    c2.reply(json_response(200, {{"joint_meetings", out}, {"position", rm.position()}}));
  });
}

}  // namespace pl
