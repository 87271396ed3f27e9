// The control of spending decided (docs/CONTROL.md): evidence attached to an
// invoice, pair, session or application; samples requested and drawn
// (domain/decide_samples.cc); expenditure verified; findings recorded and
// their financial corrections applied. It goes on once a programme closes.
#include <algorithm>

#include "base/assert.h"
#include "base/dates.h"
#include "domain/decide_internal.h"
#include "domain/sampling.h"

namespace pl::decide_internal {
namespace {

bool lower_hex64(const std::string& h) {
  return h.size() == 64 &&
         std::all_of(h.begin(), h.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

Result<Decision> Decider::operator()(const AttachEvidence& c) const {
  if (!lower_hex64(c.sha256)) return bad("sha256 must be 64 lower-case hexadecimal digits");
  if (!one_of(c.kind, kEvidenceKinds)) return bad("kind '" + c.kind + "' is not one of: " + listed(kEvidenceKinds));
  PL_RETURN_IF_ERROR(check_text("filename", c.filename, 255));
  PL_RETURN_IF_ERROR(check_text("content_type", c.content_type, 255));
  if (c.size <= 0) return bad("size must be positive");
  if (c.note.size() > 4096) return bad("note is longer than 4096 bytes");
  const ProgrammeState* programme = nullptr;
  std::string stream;
  std::vector<std::string> people;  // whom the file's name and the note belong to
  if (c.entity == "invoice") {
    auto ip = invoice_any(c.entity_id);
    if (!ip) return ip.status();
    programme = ip->second;
    stream = invoice_stream(c.entity_id);
    people = invoice_subjects(s, *ip->first);
  } else if (c.entity == "pair" || c.entity == "session") {
    const auto* pair = State::find(s.pairs(), c.entity_id);
    if (!pair) return missing("pair", c.entity_id);
    auto p = any_programme(s, pair->programme_id);
    if (!p) return p.status();
    programme = *p;
    if (c.entity == "session") {
      const SessionState* session = pair->session(c.session_id);
      if (!session) return missing("session", c.session_id);
      if (session->voided())
        return Status::rule("session_voided", "session '" + c.session_id + "' of pair '" + c.entity_id + "' is voided");
    }
    stream = pair_stream(c.entity_id);
    people = pair_subjects(s, *pair);
  } else if (c.entity == "application") {
    const auto* app = State::find(s.applications(), c.entity_id);
    if (!app) return missing("application", c.entity_id);
    auto p = any_programme(s, app->programme_id);
    if (!p) return p.status();
    programme = *p;
    stream = application_stream(c.entity_id);
    people = {applicant_subject(c.entity_id)};
  } else {
    return bad("entity '" + c.entity + "' is not one of: invoice, pair, session, application");
  }
  PL_ASSERT(programme != nullptr);  // each entity above has found its programme
  return one_event(c.entity_id, *programme, stream, fb::Event::EvidenceAttached,
                   [&](FBB& b) {
                     return fb::CreateEvidenceAttachedDirect(b, c.entity.c_str(), c.entity_id.c_str(),
                                                             c.entity == "session" ? c.session_id.c_str() : nullptr,
                                                             c.sha256.c_str(), c.kind.c_str(), nullptr,
                                                             c.content_type.c_str(), c.size)
                         .Union();
                   },
                   {personal(fb::EvidenceAttached::VT_FILENAME, people, c.filename),
                    personal(fb::EvidenceAttached::VT_NOTE, people, c.note)});
}

// Samples: domain/decide_samples.cc, once the programme and the id are checked.
Result<Decision> Decider::operator()(const RequestSample& c) const {
  auto p = any_programme(s, c.programme_id);
  if (!p) return p.status();
  PL_RETURN_IF_ERROR(check_id("sample", c.id));
  return decide_sample_request(s, **p, c, expected);
}
Result<Decision> Decider::operator()(const DrawSample& c) const {
  auto p = any_programme(s, c.programme_id);
  if (!p) return p.status();
  return decide_sample_draw(**p, c, expected);
}

Result<Decision> Decider::operator()(const VerifyExpenditure& c) const {
  auto ip = invoice_any(c.invoice_id);
  if (!ip) return ip.status();
  const InvoiceState* inv = ip->first;
  if (inv->cancelled) return Status::rule("invoice_cancelled", "invoice '" + c.invoice_id + "' is cancelled");
  if (std::any_of(inv->recorded_by.begin(), inv->recorded_by.end(),
                  [&](const std::string& by) { return actor.id == by; }))
    return Status::forbidden("four_eyes", "'" + actor.name + "' recorded invoice " + c.invoice_id +
                                              " or a payment of it: another person verifies it");
  if (c.certified_cents < 0) return bad("certified_cents must not be negative");
  if (c.deducted_cents < 0) return bad("deducted_cents must not be negative");
  if (add_overflows(c.certified_cents, c.deducted_cents) ||
      c.certified_cents + c.deducted_cents != inv->net_invoiced_cents())
    return Status::rule("verification_mismatch",
                        "invoice " + c.invoice_id + ": certified " + format_cents(c.certified_cents) +
                            " plus deducted " + format_cents(c.deducted_cents) + " must equal the net invoiced " +
                            format_cents(inv->net_invoiced_cents()) + " (net " + format_cents(inv->net_cents) +
                            " less credit notes " + format_cents(inv->credited_cents) + ")");
  if (c.deducted_cents > 0 && c.error_type.empty())
    return Status::rule("error_type_required", "a deduction of " + format_cents(c.deducted_cents) +
                                                   " names its error_type: one of " + listed(kErrorTypes));
  if (!c.error_type.empty() && !one_of(c.error_type, kErrorTypes))
    return bad("error_type '" + c.error_type + "' is not one of: " + listed(kErrorTypes));
  if (!c.error_type.empty() && c.deducted_cents == 0)
    return bad("error_type names the error of a deduction: deducted_cents is 0");
  if (c.certified_cents < inv->corrected_cents)
    return Status::rule("verification_mismatch", "invoice " + c.invoice_id + ": financial corrections of " +
                                                     format_cents(inv->corrected_cents) +
                                                     " were applied; it cannot be certified below them (" +
                                                     format_cents(c.certified_cents) + " asked)");
  if (!c.sample_id.empty()) {
    auto sample = ip->second->samples.find(c.sample_id);
    if (sample == ip->second->samples.end()) return missing("sample", c.sample_id);
    if (!sample->second.count(c.invoice_id))
      return Status::rule("not_in_sample", "sample '" + c.sample_id + "' did not select invoice " + c.invoice_id);
  }
  if (c.note.size() > 4096) return bad("note is longer than 4096 bytes");
  return one_event(c.invoice_id, *ip->second, invoice_stream(c.invoice_id), fb::Event::ExpenditureVerified,
                   [&](FBB& b) {
                     return fb::CreateExpenditureVerifiedDirect(b, c.invoice_id.c_str(), c.certified_cents,
                                                                c.deducted_cents, c.error_type.c_str(), nullptr,
                                                                c.sample_id.c_str())
                         .Union();
                   },
                   {personal(fb::ExpenditureVerified::VT_NOTE, invoice_subjects(s, *inv), c.note)});
}

Result<Decision> Decider::operator()(const RecordFinding& c) const {
  auto p = any_programme(s, c.programme_id);
  if (!p) return p.status();
  PL_RETURN_IF_ERROR(check_id("finding", c.id));
  if (State::find(s.findings(), c.id)) return exists("finding", c.id);
  if (!one_of(c.source, kFindingSources))
    return bad("source '" + c.source + "' is not one of: " + listed(kFindingSources));
  if (!one_of(c.error_type, kErrorTypes))
    return bad("error_type '" + c.error_type + "' is not one of: " + listed(kErrorTypes));
  const auto* inv = State::find(s.invoices(), c.invoice_id);
  const auto* pair = inv ? State::find(s.pairs(), inv->pair_id) : nullptr;
  if (!inv || !pair || pair->programme_id != c.programme_id)
    return Status::not_found("invoice '" + c.invoice_id + "' does not exist in programme '" + c.programme_id + "'");
  if (c.positions.empty()) return bad("positions must name at least one event");
  for (std::size_t i = 0; i < c.positions.size(); ++i) {
    if (c.positions[i] < 1 || c.positions[i] > s.position())
      return bad("position " + std::to_string(c.positions[i]) + " is not an event of the ledger (1 to " +
                 std::to_string(s.position()) + ")");
    if (twice(c.positions, i)) return bad("positions names " + std::to_string(c.positions[i]) + " twice");
  }
  if (c.amount_cents < 0) return bad("amount_cents must not be negative");
  if (c.amount_cents > inv->net_cents)
    return Status::rule("finding_exceeds_invoice", "a finding of " + format_cents(c.amount_cents) + " on invoice " +
                                                       c.invoice_id + ", whose net is " + format_cents(inv->net_cents));
  PL_RETURN_IF_ERROR(check_text("description", c.description, 16384));
  return one_event(c.id, **p, finding_stream(c.id), fb::Event::FindingRecorded,
                   [&](FBB& b) {
                     return fb::CreateFindingRecordedDirect(b, c.programme_id.c_str(), c.id.c_str(), c.source.c_str(),
                                                            c.invoice_id.c_str(), &c.positions, c.error_type.c_str(),
                                                            c.amount_cents)
                         .Union();
                   },
                   {personal(fb::FindingRecorded::VT_DESCRIPTION, invoice_subjects(s, *inv), c.description)});
}

Result<Decision> Decider::operator()(const ApplyCorrection& c) const {
  const auto* f = State::find(s.findings(), c.finding_id);
  if (!f) return missing("finding", c.finding_id);
  auto p = any_programme(s, f->programme_id);
  if (!p) return p.status();
  PL_RETURN_IF_ERROR(check_id("correction", c.id));
  if (State::find(s.corrections(), c.id)) return exists("correction", c.id);
  if (actor.id == f->recorded_by)
    return Status::forbidden("four_eyes", "'" + actor.name + "' recorded finding " + c.finding_id +
                                              ": another person applies its correction");
  if (c.amount_cents <= 0) return bad("amount_cents must be positive");
  PL_RETURN_IF_ERROR(check_text("reason", c.reason));
  const auto* inv = State::find(s.invoices(), f->invoice_id);
  if (inv && inv->cancelled)
    return Status::rule("invoice_cancelled",
                        "invoice '" + f->invoice_id + "' is cancelled: it declares nothing to correct");
  std::int64_t left = inv ? inv->correctable_cents() : 0;
  if (c.amount_cents > left)
    return Status::rule(
        "correction_exceeds_certified",
        "invoice " + f->invoice_id + ": " + format_cents(left) + " certified is left to correct (certified " +
            format_cents(inv ? inv->certified_cents : 0) + ", corrected " +
            format_cents(inv ? inv->corrected_cents : 0) +
            (inv && inv->verified
                 ? ""
                 : "; the invoice is not verified, or a credit note since made its verification stale") +
            "), " + format_cents(c.amount_cents) + " asked");
  return one_event(c.id, **p, finding_stream(c.finding_id), fb::Event::FinancialCorrectionApplied,
                   [&](FBB& b) {
                     return fb::CreateFinancialCorrectionAppliedDirect(b, c.finding_id.c_str(), c.id.c_str(),
                                                                       f->invoice_id.c_str(), c.amount_cents)
                         .Union();
                   },
                   {personal(fb::FinancialCorrectionApplied::VT_REASON,
                             inv ? invoice_subjects(s, *inv) : std::vector<std::string>(), c.reason)});
}

}  // namespace pl::decide_internal
