// The control of spending: the evidence the rules ask for and no document
// gives, the entries an auditor looks at twice, how long documents are kept.
#include <algorithm>
#include <string>

#include "base/dates.h"
#include "read/read_models.h"

namespace pl {

namespace {

bool has_kind(const std::vector<EvidenceLink>& links, const std::string& kind, std::string_view entity,
              std::string_view session_id = {}) {
  return std::any_of(links.begin(), links.end(), [&](const EvidenceLink& l) {
    return l.kind == kind && l.entity == entity && (entity != "session" || l.session_id == session_id);
  });
}

}  // namespace

std::vector<EvidenceGap> evidence_gaps(const ReadModels& rm, const std::string& programme_id) {
  std::vector<EvidenceGap> out;
  const ProgrammeState* prog = State::find(rm.core().programmes(), programme_id);
  const ProgrammeIndex* idx = State::find(rm.programmes(), programme_id);
  if (!prog || !idx) return out;
  static const std::vector<EvidenceLink> kNone;
  for (const std::string& req : prog->rules.evidence_required) {
    auto colon = req.find(':');
    if (colon == std::string::npos) continue;
    std::string step = req.substr(0, colon), kind = req.substr(colon + 1);
    auto gap = [&](std::string entity, std::string id, std::string session, std::string pair, std::string mentee,
                   std::uint64_t position) {
      out.push_back({step, kind, std::move(entity), std::move(id), std::move(session), std::move(pair),
                     std::move(mentee), position});
    };
    if (step == "invoice" || step == "payment") {
      for (auto& iid : idx->invoices) {
        const InvoiceState* inv = State::find(rm.core().invoices(), iid);
        const InvoiceExtra* x = State::find(rm.invoices(), iid);
        if (!inv || !x || inv->cancelled) continue;
        if (step == "payment" && x->payments.empty()) continue;
        if (!has_kind(x->evidence, kind, "invoice"))
          gap("invoice", iid, "", inv->pair_id, inv->mentee_id,
              step == "payment" ? x->payments.front().position : x->issued_position);
      }
    } else if (step == "completion" || step == "session") {
      for (auto& pid : idx->pairs) {
        const PairState* pr = State::find(rm.core().pairs(), pid);
        const PairExtra* x = State::find(rm.pairs(), pid);
        if (!pr) continue;
        const auto& links = x ? x->evidence : kNone;
        if (step == "completion") {
          if (pr->status == PairStatus::completed && !has_kind(links, kind, "pair"))
            gap("pair", pid, "", pid, pr->mentee_id, x ? x->ended_position : 0);
          continue;
        }
        for (auto& session : pr->sessions)
          if (!session.voided() && !has_kind(links, kind, "session", session.id))
            gap("session", pid, session.id, pid, pr->mentee_id, session.position);
      }
    } else if (step == "application") {
      for (auto& aid : idx->applications) {
        const ApplicationState* app = State::find(rm.core().applications(), aid);
        const ApplicationExtra* x = State::find(rm.applications(), aid);
        if (!app || app->status != ApplicationStatus::accepted) continue;
        if (!has_kind(x ? x->evidence : kNone, kind, "application"))
          gap("application", aid, "", "", "", x ? x->decided_position : 0);
      }
    }
  }
  return out;
}

std::vector<LateEntry> late_entries(const ReadModels& rm, const std::string& programme_id, std::int32_t days) {
  std::vector<LateEntry> out;
  const ProgrammeState* prog = State::find(rm.core().programmes(), programme_id);
  const ProgrammeIndex* idx = State::find(rm.programmes(), programme_id);
  if (!prog || !idx) return out;
  for (auto& pid : idx->pairs) {
    const PairState* pr = State::find(rm.core().pairs(), pid);
    const PairExtra* x = State::find(rm.pairs(), pid);
    if (!pr || !x) continue;
    for (std::size_t i = 0; i < pr->sessions.size() && i < x->sessions.size(); ++i) {
      const SessionState& s = pr->sessions[i];
      std::int64_t late = day_of(x->sessions[i].recorded_at_us) - s.date;
      if (late > days)
        out.push_back({"session_late", "session", s.id, pid, s.date, x->sessions[i].recorded_at_us, late, s.position,
                       "session of " + format_date(s.date) + " recorded " + std::to_string(late) + " days later" +
                           (s.voided() ? " (since voided)" : "")});
    }
  }
  const std::int64_t deadline = prog->rules.application_deadline_us;
  if (deadline != 0)
    for (auto& aid : idx->applications) {
      const ApplicationState* app = State::find(rm.core().applications(), aid);
      const ApplicationExtra* x = State::find(rm.applications(), aid);
      if (!app || !x) continue;
      if (app->received_at_us <= deadline && x->recorded_at_us > deadline)
        out.push_back({"application_after_deadline", "application", aid, "", day_of(app->received_at_us),
                       x->recorded_at_us, 0, x->submitted_position,
                       "received " + format_instant(app->received_at_us) + ", recorded " +
                           format_instant(x->recorded_at_us) + ", after the deadline " + format_instant(deadline)});
    }
  for (auto& iid : idx->invoices) {
    const InvoiceState* inv = State::find(rm.core().invoices(), iid);
    const InvoiceExtra* x = State::find(rm.invoices(), iid);
    if (!inv || !x) continue;
    for (auto& p : x->payments)
      if (p.date < inv->issue_date)
        out.push_back(
            {"payment_before_invoice", "invoice", iid, inv->pair_id, p.date, 0, 0, p.position,
             "paid " + format_date(p.date) + ", before the invoice's issue date " + format_date(inv->issue_date)});
    if (inv->cancelled) continue;
    const PairState* pr = State::find(rm.core().pairs(), inv->pair_id);
    std::int32_t first = 0;
    if (pr)
      for (auto& s : pr->sessions)
        if (!s.voided() && (first == 0 || s.date < first)) first = s.date;
    if (first == 0 || inv->issue_date < first)
      out.push_back({"invoice_before_first_session", "invoice", iid, inv->pair_id, inv->issue_date, 0, 0,
                     x->issued_position,
                     first == 0 ? "issued " + format_date(inv->issue_date) + "; the pair has no session"
                                : "issued " + format_date(inv->issue_date) + ", before the pair's first session on " +
                                      format_date(first)});
  }
  std::sort(out.begin(), out.end(), [](const LateEntry& a, const LateEntry& b) { return a.position < b.position; });
  return out;
}

Retention retention(const ReadModels& rm, const std::string& programme_id) {
  Retention r;
  const ProgrammeState* prog = State::find(rm.core().programmes(), programme_id);
  const ProgrammeIndex* idx = State::find(rm.programmes(), programme_id);
  if (!prog || !idx) return r;
  r.years = prog->rules.retention_years;
  for (auto& iid : idx->invoices)
    if (const InvoiceExtra* x = State::find(rm.invoices(), iid))
      for (auto& p : x->payments) r.last_payment_date = std::max(r.last_payment_date, p.date);
  if (r.last_payment_date != 0) {
    int year = std::stoi(format_date(r.last_payment_date).substr(0, 4));
    r.retain_until = days_from_civil(year + r.years, 12, 31);
  }
  return r;
}

}  // namespace pl
