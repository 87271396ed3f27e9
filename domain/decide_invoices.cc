// Invoices decided: issued within the fee cap and the pair's agreed fee,
// paid, cancelled before any payment or control, credited.
#include <algorithm>

#include "base/checked.h"
#include "base/dates.h"
#include "domain/decide_internal.h"

namespace pl::decide_internal {
namespace {

// The invoice `id`, its pair and its programme as `programme` looks it up.
Result<InvoiceOf> invoice_in(const State& s, const std::string& id,
                             Result<const ProgrammeState*> (*programme)(const State&, const std::string&)) {
  const auto* inv = State::find(s.invoices(), id);
  if (!inv || inv->pair_id.empty()) return missing("invoice", id);
  const auto* pair = State::find(s.pairs(), inv->pair_id);
  if (!pair) return missing("pair", inv->pair_id);
  auto p = programme(s, pair->programme_id);
  if (!p) return p.status();
  return std::make_pair(inv, *p);
}

// A payment or credit note: its VAT-excluded part and its VAT, each not
// negative, not both zero.
Status check_parts(std::int64_t amount_cents, std::int64_t vat_cents) {
  if (amount_cents < 0) return bad("amount_cents must not be negative");
  if (vat_cents < 0) return bad("vat_cents must not be negative");
  if (amount_cents == 0 && vat_cents == 0) return bad("amount_cents and vat_cents must not both be zero");
  return Status::ok();
}

}  // namespace

Result<InvoiceOf> Decider::invoice(const std::string& id) const {
  auto ip = invoice_in(s, id, open_programme);
  if (!ip) return ip.status();
  if (ip->first->cancelled) return Status::rule("invoice_cancelled", "invoice '" + id + "' is cancelled");
  return ip;
}

Result<InvoiceOf> Decider::invoice_any(const std::string& id) const { return invoice_in(s, id, any_programme); }

Status Decider::not_its_verifier(const InvoiceState& inv, std::string_view what) const {
  if (!inv.verified_by.empty() && actor.id == inv.verified_by)
    return Status::forbidden("four_eyes", "'" + actor.name + "' verified invoice " + inv.id + ": another person " +
                                              std::string(what) + " it");
  return Status::ok();
}

Result<Decision> Decider::operator()(const IssueInvoice& c) const {
  const auto* pair = State::find(s.pairs(), c.pair_id);
  if (!pair || pair->programme_id.empty()) return missing("pair", c.pair_id);
  auto p = open_programme(s, pair->programme_id);
  if (!p) return p.status();
  const Rules& r = (*p)->rules;
  PL_RETURN_IF_ERROR(check_id("invoice", c.id));
  PL_RETURN_IF_ERROR(check_text("number", c.number, 64));
  if (State::find(s.invoices(), c.id)) return exists("invoice", c.id);
  if (c.net_cents <= 0) return bad("net_cents must be positive");
  if (c.vat_cents < 0) return bad("vat_cents must not be negative");
  if (add_overflows(c.net_cents, c.vat_cents)) return bad("net_cents + vat_cents overflows");
  const auto* mentor = State::find(s.mentors(), pair->mentor_id);
  if (mentor && mentor->invoice_numbers.count(c.number))
    return Status::conflict("conflict",
                            "mentor " + pair->mentor_id + " already issued an invoice numbered '" + c.number + "'");
  const auto* mentee = State::find(s.mentees(), pair->mentee_id);
  std::int64_t mentee_net = mentee ? mentee->net_invoiced_cents : 0;
  std::int64_t cap_left = sat_sub(r.fee_cap_cents, mentee_net);
  if (c.net_cents > cap_left)
    return Status::rule("fee_cap_exceeded", "mentee " + pair->mentee_id + ": " + format_cents(mentee_net) +
                                                " invoiced net of " + format_cents(r.fee_cap_cents) + ", " +
                                                format_cents(c.net_cents) + " asked, " +
                                                format_cents(std::max<std::int64_t>(cap_left, 0)) + " left");
  std::int64_t pair_left = sat_sub(pair->agreed_fee_cents, pair->net_invoiced_cents);
  if (c.net_cents > pair_left)
    return Status::rule("quotation_exceeded", "pair " + c.pair_id + ": " + format_cents(pair->net_invoiced_cents) +
                                                  " invoiced net of the agreed " +
                                                  format_cents(pair->agreed_fee_cents) + ", " +
                                                  format_cents(c.net_cents) + " asked, " +
                                                  format_cents(std::max<std::int64_t>(pair_left, 0)) + " left");
  return one_event(c.id, **p, invoice_stream(c.id), fb::Event::InvoiceIssued, [&](FBB& b) {
    return fb::CreateInvoiceIssuedDirect(b, c.id.c_str(), c.pair_id.c_str(), pair->mentor_id.c_str(),
                                         pair->mentee_id.c_str(), c.number.c_str(), c.issue_date, c.net_cents,
                                         c.vat_cents)
        .Union();
  });
}

Result<Decision> Decider::operator()(const PayInvoice& c) const {
  auto ip = invoice(c.invoice_id);
  if (!ip) return ip.status();
  const InvoiceState* inv = ip->first;
  PL_RETURN_IF_ERROR(not_its_verifier(*inv, "pays"));
  PL_RETURN_IF_ERROR(check_parts(c.amount_cents, c.vat_cents));
  if (c.amount_cents > inv->due_cents())
    return Status::rule("overpayment", "invoice " + c.invoice_id + ": " + format_cents(inv->due_cents()) +
                                           " still due VAT excluded (net " + format_cents(inv->net_cents) +
                                           ", credited " + format_cents(inv->credited_cents) + ", paid " +
                                           format_cents(inv->paid_cents) + "), " + format_cents(c.amount_cents) +
                                           " offered");
  if (c.vat_cents > inv->vat_due_cents())
    return Status::rule("overpayment", "invoice " + c.invoice_id + ": " + format_cents(inv->vat_due_cents()) +
                                           " of VAT still due (VAT " + format_cents(inv->vat_cents) + ", credited " +
                                           format_cents(inv->vat_credited_cents) + ", paid " +
                                           format_cents(inv->vat_paid_cents) + "), " + format_cents(c.vat_cents) +
                                           " offered");
  return one_event(c.invoice_id, *ip->second, invoice_stream(c.invoice_id), fb::Event::InvoicePaid, [&](FBB& b) {
    return fb::CreateInvoicePaid(b, b.CreateString(c.invoice_id), c.paid_date, c.amount_cents, c.vat_cents).Union();
  });
}

Result<Decision> Decider::operator()(const CancelInvoice& c) const {
  auto ip = invoice(c.invoice_id);
  if (!ip) return ip.status();
  PL_RETURN_IF_ERROR(check_text("reason", c.reason));
  if (ip->first->paid_cents > 0 || ip->first->vat_paid_cents > 0)
    return Status::rule("invoice_paid", "invoice " + c.invoice_id + " has " + format_cents(ip->first->paid_cents) +
                                            " paid and " + format_cents(ip->first->vat_paid_cents) +
                                            " of VAT paid; correct it with a credit note instead");
  // What the control of spending found stays on the record: an invoice
  // verified or corrected is not cancelled.
  if (ip->first->verified || ip->first->corrected_cents > 0)
    return Status::rule(
        "invoice_controlled",
        "invoice " + c.invoice_id + " is " +
            (ip->first->corrected_cents > 0 ? "corrected by " + format_cents(ip->first->corrected_cents)
                                            : "verified (certified " + format_cents(ip->first->certified_cents) + ")") +
            ": its control stays on the record; correct it with a credit note instead");
  return one_event(c.invoice_id, *ip->second, invoice_stream(c.invoice_id), fb::Event::InvoiceCancelled,
                   [&](FBB& b) { return fb::CreateInvoiceCancelledDirect(b, c.invoice_id.c_str()).Union(); },
                   {personal(fb::InvoiceCancelled::VT_REASON, invoice_subjects(s, *ip->first), c.reason)});
}

Result<Decision> Decider::operator()(const IssueCreditNote& c) const {
  auto ip = invoice(c.invoice_id);
  if (!ip) return ip.status();
  const InvoiceState* inv = ip->first;
  PL_RETURN_IF_ERROR(not_its_verifier(*inv, "credits"));
  PL_RETURN_IF_ERROR(check_id("credit note", c.id));
  PL_RETURN_IF_ERROR(check_text("reason", c.reason));
  if (s.credit_notes().count(c.id)) return exists("credit note", c.id);
  PL_RETURN_IF_ERROR(check_parts(c.amount_cents, c.vat_cents));
  std::int64_t creditable = inv->due_cents();
  if (c.amount_cents > creditable)
    return Status::rule("credit_exceeds_invoice",
                        "invoice " + c.invoice_id + ": " + format_cents(creditable) +
                            " can still be credited VAT excluded (net " + format_cents(inv->net_cents) + ", credited " +
                            format_cents(inv->credited_cents) + ", paid " + format_cents(inv->paid_cents) + "), " +
                            format_cents(c.amount_cents) + " asked");
  if (c.vat_cents > inv->vat_due_cents())
    return Status::rule("credit_exceeds_invoice",
                        "invoice " + c.invoice_id + ": " + format_cents(inv->vat_due_cents()) +
                            " of VAT can still be credited (VAT " + format_cents(inv->vat_cents) + ", credited " +
                            format_cents(inv->vat_credited_cents) + ", paid " + format_cents(inv->vat_paid_cents) +
                            "), " + format_cents(c.vat_cents) + " asked");
  // The corrections applied to it stay within what it declares.
  if (inv->net_invoiced_cents() - c.amount_cents < inv->corrected_cents)
    return Status::rule("credit_below_corrections",
                        "invoice " + c.invoice_id + ": financial corrections of " + format_cents(inv->corrected_cents) +
                            " were applied; a credit note of " + format_cents(c.amount_cents) +
                            " would take its net invoiced (" + format_cents(inv->net_invoiced_cents()) +
                            ") below them");
  return one_event(c.id, *ip->second, invoice_stream(c.invoice_id), fb::Event::CreditNoteIssued,
                   [&](FBB& b) {
                     return fb::CreateCreditNoteIssuedDirect(b, c.invoice_id.c_str(), c.id.c_str(), c.amount_cents,
                                                             nullptr, c.vat_cents)
                         .Union();
                   },
                   {personal(fb::CreditNoteIssued::VT_REASON, invoice_subjects(s, *ip->first), c.reason)});
}

}  // namespace pl::decide_internal
