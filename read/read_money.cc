// The budget's views: each pair's and invoice's figures with the events they
// were summed from, the budget's lines and totals, the net invoiced by month.
#include <map>

#include "base/checked.h"
#include "base/dates.h"
#include "read/read_models.h"

namespace pl {

namespace {

// The invoice's contribution to each figure, with the events it came from.
// Adds `cents` to a figure and, when explaining, the entry it came from
// (nothing for a zero amount: it changes no figure).
void put(std::int64_t& figure, std::vector<Entry>* list, Entry e) {
  add_to(figure, e.cents);
  if (list && e.cents != 0) list->push_back(e);
}

void add_invoice(const InvoiceState& inv, const InvoiceExtra& x, Figures& f, Explain* ex) {
  using E = fb::Event;
  auto l = [&](std::vector<Entry> Explain::*m) { return ex ? &(ex->*m) : nullptr; };
  put(f.invoiced, l(&Explain::invoiced), {x.issued_position, inv.net_cents, E::InvoiceIssued, inv.issue_date});
  put(f.vat_invoiced, l(&Explain::vat_invoiced), {x.issued_position, inv.vat_cents, E::InvoiceIssued, inv.issue_date});
  for (auto& c : x.credits) {
    put(f.credited, l(&Explain::credited), {c.position, c.cents, E::CreditNoteIssued, c.date});
    put(f.vat_credited, l(&Explain::vat_credited), {c.position, c.vat_cents, E::CreditNoteIssued, c.date});
  }
  for (auto& p : x.payments) {
    put(f.paid, l(&Explain::paid), {p.position, p.cents, E::InvoicePaid, p.date});
    put(f.vat_paid, l(&Explain::vat_paid), {p.position, p.vat_cents, E::InvoicePaid, p.date});
  }
  // The control of spending: the last verification, while it holds, and the
  // corrections, always (they are the findings register's: a credit note
  // that makes the verification stale takes none of them back). A cancelled
  // invoice declares nothing.
  if (!inv.cancelled) {
    bool holds = x.verification.recorded.position != 0 && x.verification.stale_position == 0;
    if (holds) {
      const VerificationRow& v = x.verification;
      std::int32_t day = day_of(v.recorded.at_us);
      std::uint64_t at = v.recorded.position;
      put(f.verified, l(&Explain::verified),
          {at, sat_add(v.certified_cents, v.deducted_cents), E::ExpenditureVerified, day});
      put(f.certified, l(&Explain::certified), {at, v.certified_cents, E::ExpenditureVerified, day});
      put(f.deducted, l(&Explain::deducted), {at, v.deducted_cents, E::ExpenditureVerified, day});
    }
    for (auto& c : x.corrections) {
      std::int32_t cday = day_of(c.recorded.at_us);
      if (holds)
        put(f.certified, l(&Explain::certified),
            {c.recorded.position, -c.amount_cents, E::FinancialCorrectionApplied, cday});
      put(f.corrected, l(&Explain::corrected),
          {c.recorded.position, c.amount_cents, E::FinancialCorrectionApplied, cday});
    }
  }
  if (inv.cancelled) {
    // A cancelled invoice counts no more: the cancellation takes back its
    // net and VAT and any credit notes on it.
    Entry back{x.cancelled_position, 0, E::InvoiceCancelled, x.cancelled_day};
    back.cents = -inv.net_cents;
    put(f.invoiced, l(&Explain::invoiced), back);
    back.cents = -inv.credited_cents;
    put(f.credited, l(&Explain::credited), back);
    back.cents = -inv.vat_cents;
    put(f.vat_invoiced, l(&Explain::vat_invoiced), back);
    back.cents = -inv.vat_credited_cents;
    put(f.vat_credited, l(&Explain::vat_credited), back);
  }
}

void add_pair(const ReadModels& rm, const PairState& pr, Figures& f, Explain* ex) {
  const PairExtra* x = State::find(rm.pairs(), pr.id);
  add_to(f.agreed, pr.agreed_fee_cents);
  if (ex && x)
    ex->agreed.push_back({x->assigned_position, pr.agreed_fee_cents, fb::Event::PairAssigned, x->assigned_day});
  if (pr.status == PairStatus::terminated) {
    sub_from(f.agreed, pr.agreed_fee_cents);
    if (ex && x)
      ex->agreed.push_back({x->ended_position, -pr.agreed_fee_cents, fb::Event::PairTerminated, x->ended_day});
  }
  if (!x) return;
  for (auto& iid : x->invoices) {
    const InvoiceState* inv = State::find(rm.core().invoices(), iid);
    const InvoiceExtra* ix = State::find(rm.invoices(), iid);
    if (inv && ix) add_invoice(*inv, *ix, f, ex);
  }
}

}  // namespace

Figures pair_figures(const ReadModels& rm, const PairState& pair, Explain* ex) {
  Figures f;
  add_pair(rm, pair, f, ex);
  return f;
}

Figures& Figures::operator+=(const Figures& o) {
  add_to(agreed, o.agreed);
  add_to(invoiced, o.invoiced);
  add_to(credited, o.credited);
  add_to(paid, o.paid);
  add_to(vat_invoiced, o.vat_invoiced);
  add_to(vat_credited, o.vat_credited);
  add_to(vat_paid, o.vat_paid);
  add_to(verified, o.verified);
  add_to(certified, o.certified);
  add_to(deducted, o.deducted);
  add_to(corrected, o.corrected);
  return *this;
}

void Explain::append(const Explain& o) {
  for (auto m : {&Explain::agreed, &Explain::invoiced, &Explain::credited, &Explain::paid, &Explain::vat_invoiced,
                 &Explain::vat_credited, &Explain::vat_paid, &Explain::verified, &Explain::certified,
                 &Explain::deducted, &Explain::corrected})
    (this->*m).insert((this->*m).end(), (o.*m).begin(), (o.*m).end());
}

std::int64_t eu_share(std::int64_t net_cents, std::int32_t cofunding_bp) {
  // net × bp / 10000 without forming the product: net = q·10000 + r, so the
  // share is q·bp + r·bp/10000, truncated towards zero like the whole.
  std::int64_t q = net_cents / 10000, r = net_cents % 10000;
  return q * cofunding_bp + r * cofunding_bp / 10000;
}

BudgetLine mentee_budget(const ReadModels& rm, const MenteeState& mentee, bool explain) {
  BudgetLine line;
  line.key = mentee.id;
  line.name = rm.text(mentee.cluster_name);
  line.country = mentee.country;
  if (auto* pairs = State::find(rm.pairs_of_mentee(), mentee.id))
    for (auto& pid : *pairs)
      if (auto* pr = State::find(rm.core().pairs(), pid)) add_pair(rm, *pr, line.f, explain ? &line.explain : nullptr);
  if (auto* prog = State::find(rm.core().programmes(), mentee.programme_id)) {
    line.eu_share_cents = eu_share(line.f.eligible(prog->rules.vat_eligible), prog->rules.cofunding_bp);
    line.certified_eu_share_cents = eu_share(line.f.certified, prog->rules.cofunding_bp);
  }
  return line;
}

Budget budget(const ReadModels& rm, const std::string& programme_id, bool explain) {
  const ProgrammeState* prog = State::find(rm.core().programmes(), programme_id);
  const ProgrammeIndex* idx = State::find(rm.programmes(), programme_id);
  if (!prog || !idx) return Budget{};
  std::vector<BudgetLine> mentees, mentors;
  mentees.reserve(idx->mentees.size());
  mentors.reserve(idx->mentors.size());
  for (auto& mid : idx->mentees)
    if (const MenteeState* m = State::find(rm.core().mentees(), mid)) mentees.push_back(mentee_budget(rm, *m, explain));
  // Per mentor, from the mentor's own pairs: an independent path to the
  // same totals.
  for (auto& mid : idx->mentors) {
    const MentorState* m = State::find(rm.core().mentors(), mid);
    if (!m) continue;
    BudgetLine line;
    line.key = m->id;
    line.name = rm.text(m->name);
    line.country = m->country;
    if (auto* pairs = State::find(rm.pairs_of_mentor(), m->id))
      for (auto& pid : *pairs)
        if (auto* pr = State::find(rm.core().pairs(), pid))
          add_pair(rm, *pr, line.f, explain ? &line.explain : nullptr);
    mentors.push_back(std::move(line));
  }
  return assemble_budget(prog->rules.fee_cap_cents, prog->rules.cofunding_bp, prog->rules.vat_eligible,
                         std::move(mentees), std::move(mentors), explain);
}

Budget assemble_budget(std::int64_t fee_cap_cents, std::int32_t cofunding_bp, bool vat_eligible,
                       std::vector<BudgetLine> mentees, std::vector<BudgetLine> mentors, bool explain) {
  Budget b;
  b.fee_cap_cents = fee_cap_cents;
  b.cofunding_bp = cofunding_bp;
  b.vat_eligible = vat_eligible;
  auto shares = [&](BudgetLine& line) {
    line.eu_share_cents = eu_share(line.f.eligible(vat_eligible), cofunding_bp);
    line.certified_eu_share_cents = eu_share(line.f.certified, cofunding_bp);
  };
  // Per mentee, then per country from the mentee lines.
  std::map<std::string, BudgetLine> countries;
  for (auto& line : mentees) {
    shares(line);
    auto& c = countries[line.country];
    c.key = c.country = line.country;
    c.f += line.f;
    if (explain) c.explain.append(line.explain);
    b.totals += line.f;
    if (explain) b.explain.append(line.explain);
    add_to(b.mentee_eu_share_sum_cents, line.eu_share_cents);
  }
  b.mentees = std::move(mentees);
  for (auto& [k, c] : countries) {
    shares(c);
    b.countries.push_back(std::move(c));
  }
  for (auto& line : mentors) shares(line);
  b.mentors = std::move(mentors);
  b.eu_share_cents = eu_share(b.totals.eligible(vat_eligible), cofunding_bp);
  b.certified_eu_share_cents = eu_share(b.totals.certified, cofunding_bp);
  b.own_share_cents = b.totals.eligible(vat_eligible) - b.eu_share_cents;
  b.rounding_difference_cents = b.eu_share_cents - b.mentee_eu_share_sum_cents;
  return b;
}

std::optional<MonthFigure> invoice_month_figure(const InvoiceState& inv) {
  if (inv.cancelled) return std::nullopt;
  return MonthFigure{format_date(inv.issue_date).substr(0, 7), sat_sub(inv.net_cents, inv.credited_cents)};
}

std::vector<MonthFigure> net_invoiced_by_month(const ReadModels& rm, const std::string& programme_id) {
  std::map<std::string, std::int64_t> months;
  if (const ProgrammeIndex* idx = State::find(rm.programmes(), programme_id))
    for (auto& iid : idx->invoices)
      if (auto* inv = State::find(rm.core().invoices(), iid))
        if (auto m = invoice_month_figure(*inv)) add_to(months[m->month], m->net_invoiced_cents);
  std::vector<MonthFigure> out;
  for (auto& [m, cents] : months) out.push_back({m, cents});
  return out;
}

}  // namespace pl
