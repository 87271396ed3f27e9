#include "read/read_models.h"

#include <algorithm>
#include <map>

#include "base/checked.h"
#include "base/dates.h"
#include "domain/eligibility.h"

namespace pl {
namespace {

std::string str(const flatbuffers::String* s) { return s ? s->str() : std::string(); }
std::string_view sv(const flatbuffers::String* s) { return EventView::sv(s); }
template <class T>
T& slot(State::Map<T>& m, std::string_view id) {
  return State::slot(m, id);
}

std::vector<std::string> strs(const flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>* v) {
  std::vector<std::string> out;
  if (v) {
    out.reserve(v->size());
    for (auto* s : *v) out.push_back(str(s));
  }
  return out;
}

template <typename T>
const T* find(const State::Map<T>& m, const std::string& id) {
  return State::find(m, id);
}

}  // namespace

void ReadModels::reserve(std::uint64_t events) {
  core_.reserve(events);
  auto n = static_cast<std::size_t>(events / 16);
  pairs_.reserve(n);
  invoices_.reserve(n);
  applications_.reserve(n);
  pairs_of_mentee_.reserve(n);
  pairs_of_mentor_.reserve(n);
}

void ReadModels::apply(const EventView& e) {
  core_.apply(e);
  recorded_at_us_ = e.recorded_at_us();
  const std::uint64_t pos = e.position();
  const std::int32_t day = day_of(e.recorded_at_us());
  // The versions of the streams a client may name in If-Match, as of here.
  // Most events are about their stream's own pair or invoice: the entry
  // found here serves them too, one lookup instead of two.
  std::string_view stream_id;
  PairExtra* stream_pair = nullptr;
  InvoiceExtra* stream_invoice = nullptr;
  if (std::string_view st = e.stream(); st.substr(0, 5) == "pair-") {
    stream_id = st.substr(5);
    stream_pair = &slot(pairs_, stream_id);
    stream_pair->stream_version = e.version();
  } else if (st.substr(0, 8) == "invoice-") {
    stream_id = st.substr(8);
    stream_invoice = &slot(invoices_, stream_id);
    stream_invoice->stream_version = e.version();
  }
  auto pair_extra = [&](std::string_view id) -> PairExtra& {
    return stream_pair && id == stream_id ? *stream_pair : slot(pairs_, id);
  };
  auto invoice_extra = [&](std::string_view id) -> InvoiceExtra& {
    return stream_invoice && id == stream_id ? *stream_invoice : slot(invoices_, id);
  };
  switch (e.type()) {
    case fb::Event::ProgrammeOpened:
      slot(programmes_, sv(e.as<fb::ProgrammeOpened>()->programme_id())).opened_position = pos;
      break;
    case fb::Event::JointMeetingHeld: {
      auto* p = e.as<fb::JointMeetingHeld>();
      slot(programmes_, sv(p->programme_id()))
          .meetings.push_back(MeetingRow{str(p->meeting_id()), str(p->title()), p->date(), strs(p->pair_ids()), pos});
      break;
    }
    case fb::Event::MenteeEnrolled: {
      auto* p = e.as<fb::MenteeEnrolled>();
      slot(programmes_, sv(p->programme_id())).mentees.push_back(str(p->mentee_id()));
      break;
    }
    case fb::Event::ApplicationSubmitted: {
      auto* p = e.as<fb::ApplicationSubmitted>();
      std::string id = str(p->application_id());
      slot(programmes_, sv(p->programme_id())).applications.push_back(id);
      auto& a = applications_[id];
      a.submitted_position = pos;
      a.email = str(p->email());
      a.knowledge_areas = strs(p->knowledge_areas());
      a.recorded_at_us = e.recorded_at_us();
      break;
    }
    case fb::Event::ApplicationAccepted: {
      auto* p = e.as<fb::ApplicationAccepted>();
      std::string id = str(p->application_id());
      applications_[id].decided_position = pos;
      if (auto* app = find(core_.applications(), id))
        programmes_[app->programme_id].mentors.push_back(str(p->mentor_id()));
      break;
    }
    case fb::Event::ApplicationRejected: {
      auto* p = e.as<fb::ApplicationRejected>();
      auto& a = slot(applications_, sv(p->application_id()));
      a.decided_position = pos;
      a.rejection_reason = str(p->reason());
      break;
    }
    case fb::Event::PairAssigned: {
      auto* p = e.as<fb::PairAssigned>();
      std::string id = str(p->pair_id());
      slot(programmes_, sv(p->programme_id())).pairs.push_back(id);
      slot(pairs_of_mentee_, sv(p->mentee_id())).push_back(id);
      slot(pairs_of_mentor_, sv(p->mentor_id())).push_back(id);
      auto& x = pair_extra(id);
      x.assigned_position = pos;
      x.assigned_day = day;
      x.topics = strs(p->topics());
      x.override_reason = str(p->override_reason());
      break;
    }
    case fb::Event::SessionLogged: {
      auto* p = e.as<fb::SessionLogged>();
      pair_extra(sv(p->pair_id())).sessions.push_back(SessionText{str(p->summary()), {}, e.recorded_at_us()});
      break;
    }
    case fb::Event::SessionVoided: {
      // core_ has voided the session(s) at this position: their texts sit at
      // the same indexes.
      auto* p = e.as<fb::SessionVoided>();
      auto& x = pair_extra(sv(p->pair_id()));
      if (const PairState* pr = State::find(core_.pairs(), sv(p->pair_id())))
        for (std::size_t i = 0; i < pr->sessions.size() && i < x.sessions.size(); ++i)
          if (pr->sessions[i].voided_position == pos) x.sessions[i].void_reason = str(p->reason());
      break;
    }
    case fb::Event::ReportSubmitted: {
      auto* p = e.as<fb::ReportSubmitted>();
      auto& x = pair_extra(sv(p->pair_id()));
      x.report_language = str(p->language());
      x.report_position = pos;
      break;
    }
    case fb::Event::PairCompleted: {
      auto& x = pair_extra(sv(e.as<fb::PairCompleted>()->pair_id()));
      x.ended_position = pos;
      x.ended_day = day;
      break;
    }
    case fb::Event::PairTerminated: {
      auto* p = e.as<fb::PairTerminated>();
      auto& x = pair_extra(sv(p->pair_id()));
      x.ended_position = pos;
      x.ended_day = day;
      x.end_reason = str(p->reason());
      break;
    }
    case fb::Event::InvoiceIssued: {
      auto* p = e.as<fb::InvoiceIssued>();
      std::string id = str(p->invoice_id());
      std::string_view pair_id = sv(p->pair_id());
      pair_extra(pair_id).invoices.push_back(id);
      if (auto* pr = State::find(core_.pairs(), pair_id)) programmes_[pr->programme_id].invoices.push_back(id);
      invoice_extra(id).issued_position = pos;
      break;
    }
    case fb::Event::InvoicePaid: {
      auto* p = e.as<fb::InvoicePaid>();
      invoice_extra(sv(p->invoice_id()))
          .payments.push_back(Movement{pos, {}, p->paid_date(), p->amount_cents(), {}, p->vat_cents()});
      break;
    }
    case fb::Event::InvoiceCancelled: {
      auto* p = e.as<fb::InvoiceCancelled>();
      auto& x = invoice_extra(sv(p->invoice_id()));
      if (x.cancelled_position == 0) {
        x.cancelled_position = pos;
        x.cancelled_day = day;
        x.cancel_reason = str(p->reason());
      }
      break;
    }
    case fb::Event::CreditNoteIssued: {
      auto* p = e.as<fb::CreditNoteIssued>();
      auto& x = invoice_extra(sv(p->invoice_id()));
      x.credits.push_back(
          Movement{pos, str(p->credit_note_id()), day, p->amount_cents(), str(p->reason()), p->vat_cents()});
      if (x.verification.recorded.position != 0 && x.verification.stale_position == 0 && p->amount_cents() != 0)
        x.verification.stale_position = pos;
      break;
    }
    case fb::Event::TourScheduled: {
      auto* p = e.as<fb::TourScheduled>();
      std::string id = str(p->tour_id());
      slot(programmes_, sv(p->programme_id())).tours.push_back(id);
      tours_[id] = TourExtra{str(p->region()), str(p->host()), p->start_date(), p->end_date(), strs(p->topics()), {}};
      break;
    }
    case fb::Event::TourParticipantRegistered: {
      auto* p = e.as<fb::TourParticipantRegistered>();
      TourPerson person;
      person.mentee_id = str(p->mentee_id());
      if (!person.mentee_id.empty()) {
        person.kind = "cluster_manager";
        person.id = person.mentee_id;
        if (auto* m = find(core_.mentees(), person.mentee_id)) {
          person.name = m->name;
          person.organisation = m->cluster_name;
          person.country = m->country;
        }
      } else {
        person.kind = str(p->kind());
        person.id = str(p->participant_id());
        person.name = str(p->name());
        person.organisation = str(p->organisation());
        person.country = str(p->country());
      }
      person.position = pos;
      slot(tours_, sv(p->tour_id())).people.push_back(std::move(person));
      break;
    }
    case fb::Event::TourParticipantCancelled: {
      auto* p = e.as<fb::TourParticipantCancelled>();
      auto& people = slot(tours_, sv(p->tour_id())).people;
      std::string_view mentee = sv(p->mentee_id()), other = sv(p->participant_id());
      std::erase_if(people, [&](const TourPerson& t) {
        return mentee.empty() ? t.mentee_id.empty() && t.id == other : t.mentee_id == mentee;
      });
      break;
    }
    case fb::Event::NeedsDiagnosed: {
      auto* p = e.as<fb::NeedsDiagnosed>();
      slot(needs_, sv(p->mentee_id())) = NeedsExtra{str(p->note()), pos};
      break;
    }
    case fb::Event::EvidenceAttached: {
      auto* p = e.as<fb::EvidenceAttached>();
      EvidenceLink link;
      link.entity = str(p->entity());
      link.entity_id = str(p->entity_id());
      link.session_id = str(p->session_id());
      link.sha256 = str(p->sha256());
      link.kind = str(p->kind());
      link.filename = str(p->filename());
      link.content_type = str(p->content_type());
      link.note = str(p->note());
      link.size = p->size();
      link.position = pos;
      link.recorded_at_us = e.recorded_at_us();
      link.recorded_by = std::string(EventView::sv(e.env->actor_name()));
      if (link.entity == "invoice")
        slot(invoices_, link.entity_id).evidence.push_back(link);
      else if (link.entity == "application")
        slot(applications_, link.entity_id).evidence.push_back(link);
      else
        slot(pairs_, link.entity_id).evidence.push_back(link);
      slot(evidence_, link.sha256).push_back(std::move(link));
      break;
    }
    case fb::Event::SampleDrawn: {
      auto* p = e.as<fb::SampleDrawn>();
      SampleRow row;
      row.id = str(p->sample_id());
      row.population = str(p->population());
      row.method = str(p->method());
      row.size = p->size();
      row.population_count = p->population_count();
      row.population_total_cents = p->population_total_cents();
      row.interval_cents = p->interval_cents();
      row.seed = to_hex(EventView::bytes(p->seed()));
      row.population_sha256 = str(p->population_sha256());
      if (auto* items = p->items())
        for (auto* it : *items) row.units.push_back({str(it->id()), it->amount_cents(), it->hits()});
      row.recorded = {pos, e.recorded_at_us(), std::string(EventView::sv(e.env->actor_name()))};
      slot(programmes_, sv(p->programme_id())).samples.push_back(std::move(row));
      break;
    }
    case fb::Event::ExpenditureVerified: {
      auto* p = e.as<fb::ExpenditureVerified>();
      slot(invoices_, sv(p->invoice_id())).verification = VerificationRow{
          p->certified_cents(), p->deducted_cents(),
          str(p->error_type()), str(p->note()),
          str(p->sample_id()),  {pos, e.recorded_at_us(), std::string(EventView::sv(e.env->actor_name()))}};
      break;
    }
    case fb::Event::FindingRecorded: {
      auto* p = e.as<fb::FindingRecorded>();
      FindingRow row;
      row.id = str(p->finding_id());
      row.source = str(p->source());
      row.invoice_id = str(p->invoice_id());
      row.error_type = str(p->error_type());
      row.description = str(p->description());
      if (auto* ps = p->positions()) row.positions.assign(ps->begin(), ps->end());
      row.amount_cents = p->amount_cents();
      row.recorded = {pos, e.recorded_at_us(), std::string(EventView::sv(e.env->actor_name()))};
      slot(programmes_, sv(p->programme_id())).findings.push_back(row.id);
      findings_[row.id] = std::move(row);
      break;
    }
    case fb::Event::FinancialCorrectionApplied: {
      auto* p = e.as<fb::FinancialCorrectionApplied>();
      CorrectionRow row{
          str(p->correction_id()), str(p->finding_id()),
          str(p->invoice_id()),    str(p->reason()),
          p->amount_cents(),       {pos, e.recorded_at_us(), std::string(EventView::sv(e.env->actor_name()))}};
      slot(invoices_, row.invoice_id).corrections.push_back(row);
      slot(findings_, row.finding_id).corrections.push_back(std::move(row));
      break;
    }
    default:
      break;
  }
}

// ---- Views ----

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
  const PairExtra* x = find(rm.pairs(), pr.id);
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
    const InvoiceState* inv = find(rm.core().invoices(), iid);
    const InvoiceExtra* ix = find(rm.invoices(), iid);
    if (inv && ix) add_invoice(*inv, *ix, f, ex);
  }
}

std::string month_key(std::int32_t day) { return format_date(day).substr(0, 7); }

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

PairStanding pair_standing(PairStatus status, std::int32_t start_date, std::int32_t end_date,
                           std::int32_t last_session_date, std::int32_t today, std::int64_t hour_cap_minutes,
                           std::int64_t fee_cap_cents, std::int64_t mentee_used, std::int64_t mentee_net) {
  PairStanding s;
  switch (status) {
    case PairStatus::active:
      s.status = today < start_date ? "assigned" : "active";
      break;
    case PairStatus::completed:
      s.status = "completed";
      break;
    case PairStatus::terminated:
      s.status = "terminated";
      break;
  }
  auto warn = [&](std::string_view w) { s.warnings[s.warning_count++] = w; };
  const std::int64_t minutes_left = std::max<std::int64_t>(0, hour_cap_minutes - mentee_used);
  if (status == PairStatus::active) {
    std::int32_t days_left = end_date - today;
    if (days_left >= 0 && days_left <= kEndingSoonDays && minutes_left > kUnusedMinutesWarning)
      warn("period_ending_with_hours_unused");
    std::int32_t last = last_session_date ? last_session_date : start_date;
    if (today >= start_date && today <= end_date && today - last > kIdleDays) warn("no_session_for_60_days");
    // Caps nearly spent matter while the pair can still spend them.
    if (hour_cap_minutes > 0 && mentee_used * 100 > hour_cap_minutes * kNearCapPercent) warn("hour_cap_nearly_spent");
    if (fee_cap_cents > 0 && mentee_net * 100 > fee_cap_cents * kNearCapPercent) warn("fee_cap_nearly_spent");
  }
  return s;
}

PairRow pair_row(const ReadModels& rm, const PairState& pair, std::int32_t today) {
  // The figures are the pairs view's line's; the row adds what the line's
  // strings were read from.
  PairLine l = pair_line(rm, pair, today);
  PairRow r;
  r.pair = &pair;
  r.extra = find(rm.pairs(), pair.id);
  r.mentee = find(rm.core().mentees(), pair.mentee_id);
  r.mentor = find(rm.core().mentors(), pair.mentor_id);
  r.status = l.standing.status;
  r.sessions = l.sessions;
  r.mentee_minutes_left = l.minutes_left;
  r.invoiced_cents = l.invoiced_cents;
  r.credited_cents = l.credited_cents;
  r.paid_cents = l.paid_cents;
  r.fee_left_cents = l.fee_left_cents;
  for (std::size_t i = 0; i < l.standing.warning_count; ++i) r.warnings.emplace_back(l.standing.warnings[i]);
  return r;
}

PairLine pair_line(const ReadModels& rm, const PairState& pair, std::int32_t today) {
  PairLine l;
  const PairExtra* extra = find(rm.pairs(), pair.id);
  const MenteeState* mentee = find(rm.core().mentees(), pair.mentee_id);
  const MentorState* mentor = find(rm.core().mentors(), pair.mentor_id);
  l.id = pair.id;
  l.programme_id = pair.programme_id;
  l.mentor_id = pair.mentor_id;
  l.mentee_id = pair.mentee_id;
  if (mentor) {
    l.mentor_name = mentor->name;
    l.mentor_country = mentor->country;
  }
  if (mentee) {
    l.mentee_name = mentee->name;
    l.cluster_name = mentee->cluster_name;
    l.country = mentee->country;
  }
  if (extra) {
    l.override_reason = extra->override_reason;
    l.topics = &extra->topics;
  }
  Figures f;
  add_pair(rm, pair, f, nullptr);
  l.invoiced_cents = f.invoiced;
  l.credited_cents = f.credited;
  l.paid_cents = f.paid;
  l.agreed_fee_cents = pair.agreed_fee_cents;
  l.fee_left_cents = pair.agreed_fee_cents - pair.net_invoiced_cents;
  for (auto& s : pair.sessions)
    if (!s.voided()) ++l.sessions;
  l.start_date = pair.start_date;
  l.end_date = pair.end_date;
  l.last_session_date = pair.last_session_date;
  l.minutes_used = pair.minutes_used;
  l.report_submitted = pair.report_submitted;
  const ProgrammeState* prog = find(rm.core().programmes(), pair.programme_id);
  std::int64_t hour_cap = prog ? prog->rules.hour_cap_minutes : 0;
  std::int64_t fee_cap = prog ? prog->rules.fee_cap_cents : 0;
  l.mentee_minutes_used = mentee ? mentee->minutes_used : pair.minutes_used;
  std::int64_t mentee_net = mentee ? mentee->net_invoiced_cents : pair.net_invoiced_cents;
  l.minutes_left = std::max<std::int64_t>(0, hour_cap - l.mentee_minutes_used);
  l.standing = pair_standing(pair.status, pair.start_date, pair.end_date, pair.last_session_date, today, hour_cap,
                             fee_cap, l.mentee_minutes_used, mentee_net);
  return l;
}

std::vector<PairLine> pair_lines(const ReadModels& rm, const std::string& programme_id, std::int32_t today) {
  std::vector<PairLine> out;
  if (const ProgrammeIndex* idx = find(rm.programmes(), programme_id)) {
    out.reserve(idx->pairs.size());
    for (auto& id : idx->pairs)
      if (const PairState* p = find(rm.core().pairs(), id); p && p->programme_id == programme_id)
        out.push_back(pair_line(rm, *p, today));
  }
  return out;
}

std::optional<HoursBy> parse_hours_by(std::string_view s) {
  static const std::pair<std::string_view, HoursBy> kNames[] = {
      {"mentee", HoursBy::mentee}, {"mentor", HoursBy::mentor}, {"pair", HoursBy::pair},    {"month", HoursBy::month},
      {"topic", HoursBy::topic},   {"mode", HoursBy::mode},     {"format", HoursBy::format}};
  for (auto& [name, by] : kNames)
    if (name == s) return by;
  return std::nullopt;
}

std::vector<HoursGroup> hours(const ReadModels& rm, const std::string& programme_id, HoursBy by, bool explain) {
  std::map<std::string, HoursGroup> groups;
  const ProgrammeIndex* idx = find(rm.programmes(), programme_id);
  if (!idx) return {};
  const PairState* pr = nullptr;
  auto add = [&](const std::string& key, const SessionState& s) {
    auto& g = groups[key];
    g.key = key;
    add_to(g.minutes, s.minutes);
    ++g.sessions;
    if (explain) g.explain.push_back({s.position, s.date, pr->id, s.id, s.minutes});
  };
  for (auto& pid : idx->pairs) {
    pr = find(rm.core().pairs(), pid);
    if (!pr) continue;
    for (auto& s : pr->sessions) {
      if (s.voided()) continue;
      switch (by) {
        case HoursBy::mentee:
          add(pr->mentee_id, s);
          break;
        case HoursBy::mentor:
          add(pr->mentor_id, s);
          break;
        case HoursBy::pair:
          add(pr->id, s);
          break;
        case HoursBy::month:
          add(month_key(s.date), s);
          break;
        case HoursBy::mode:
          add(std::string(fb::EnumNameMode(s.mode)), s);
          break;
        case HoursBy::format:
          add(std::string(fb::EnumNameFormat(s.format)), s);
          break;
        case HoursBy::topic:
          for (auto t : s.topics) add(rm.core().topic_names().at(t), s);
          break;
      }
    }
  }
  std::vector<HoursGroup> out;
  out.reserve(groups.size());
  for (auto& [k, g] : groups) out.push_back(std::move(g));
  return out;
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
  line.name = mentee.cluster_name;
  line.country = mentee.country;
  if (auto* pairs = find(rm.pairs_of_mentee(), mentee.id))
    for (auto& pid : *pairs)
      if (auto* pr = find(rm.core().pairs(), pid)) add_pair(rm, *pr, line.f, explain ? &line.explain : nullptr);
  if (auto* prog = find(rm.core().programmes(), mentee.programme_id)) {
    line.eu_share_cents = eu_share(line.f.eligible(prog->rules.vat_eligible), prog->rules.cofunding_bp);
    line.certified_eu_share_cents = eu_share(line.f.certified, prog->rules.cofunding_bp);
  }
  return line;
}

Budget budget(const ReadModels& rm, const std::string& programme_id, bool explain) {
  const ProgrammeState* prog = find(rm.core().programmes(), programme_id);
  const ProgrammeIndex* idx = find(rm.programmes(), programme_id);
  if (!prog || !idx) return Budget{};
  std::vector<BudgetLine> mentees, mentors;
  mentees.reserve(idx->mentees.size());
  mentors.reserve(idx->mentors.size());
  for (auto& mid : idx->mentees)
    if (const MenteeState* m = find(rm.core().mentees(), mid)) mentees.push_back(mentee_budget(rm, *m, explain));
  // Per mentor, from the mentor's own pairs: an independent path to the
  // same totals.
  for (auto& mid : idx->mentors) {
    const MentorState* m = find(rm.core().mentors(), mid);
    if (!m) continue;
    BudgetLine line;
    line.key = m->id;
    line.name = m->name;
    line.country = m->country;
    if (auto* pairs = find(rm.pairs_of_mentor(), m->id))
      for (auto& pid : *pairs)
        if (auto* pr = find(rm.core().pairs(), pid)) add_pair(rm, *pr, line.f, explain ? &line.explain : nullptr);
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

std::optional<ProgrammeCounts> programme_counts(const ReadModels& rm, const std::string& programme_id) {
  const ProgrammeIndex* idx = find(rm.programmes(), programme_id);
  if (!idx) return std::nullopt;
  ProgrammeCounts c;
  for (auto& pid : idx->pairs)
    if (auto* pr = find(rm.core().pairs(), pid)) {
      c.pairs_active += pr->status == PairStatus::active;
      add_to(c.minutes, pr->minutes_used);
      for (auto& s : pr->sessions) c.sessions += !s.voided();
    }
  auto n = [](const auto& v) { return static_cast<std::int64_t>(v.size()); };
  c.mentees = n(idx->mentees);
  c.applications = n(idx->applications);
  c.mentors = n(idx->mentors);
  c.pairs = n(idx->pairs);
  c.invoices = n(idx->invoices);
  c.tours = n(idx->tours);
  c.joint_meetings = n(idx->meetings);
  return c;
}

std::optional<MonthFigure> invoice_month_figure(const InvoiceState& inv) {
  if (inv.cancelled) return std::nullopt;
  return MonthFigure{format_date(inv.issue_date).substr(0, 7), sat_sub(inv.net_cents, inv.credited_cents)};
}

std::vector<MonthFigure> net_invoiced_by_month(const ReadModels& rm, const std::string& programme_id) {
  std::map<std::string, std::int64_t> months;
  if (const ProgrammeIndex* idx = find(rm.programmes(), programme_id))
    for (auto& iid : idx->invoices)
      if (auto* inv = find(rm.core().invoices(), iid))
        if (auto m = invoice_month_figure(*inv)) add_to(months[m->month], m->net_invoiced_cents);
  std::vector<MonthFigure> out;
  for (auto& [m, cents] : months) out.push_back({m, cents});
  return out;
}

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
  const ProgrammeState* prog = find(rm.core().programmes(), programme_id);
  const ProgrammeIndex* idx = find(rm.programmes(), programme_id);
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
        const InvoiceState* inv = find(rm.core().invoices(), iid);
        const InvoiceExtra* x = find(rm.invoices(), iid);
        if (!inv || !x || inv->cancelled) continue;
        if (step == "payment" && x->payments.empty()) continue;
        if (!has_kind(x->evidence, kind, "invoice"))
          gap("invoice", iid, "", inv->pair_id, inv->mentee_id,
              step == "payment" ? x->payments.front().position : x->issued_position);
      }
    } else if (step == "completion" || step == "session") {
      for (auto& pid : idx->pairs) {
        const PairState* pr = find(rm.core().pairs(), pid);
        const PairExtra* x = find(rm.pairs(), pid);
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
        const ApplicationState* app = find(rm.core().applications(), aid);
        const ApplicationExtra* x = find(rm.applications(), aid);
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
  const ProgrammeState* prog = find(rm.core().programmes(), programme_id);
  const ProgrammeIndex* idx = find(rm.programmes(), programme_id);
  if (!prog || !idx) return out;
  for (auto& pid : idx->pairs) {
    const PairState* pr = find(rm.core().pairs(), pid);
    const PairExtra* x = find(rm.pairs(), pid);
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
      const ApplicationState* app = find(rm.core().applications(), aid);
      const ApplicationExtra* x = find(rm.applications(), aid);
      if (!app || !x) continue;
      if (app->received_at_us <= deadline && x->recorded_at_us > deadline)
        out.push_back({"application_after_deadline", "application", aid, "", day_of(app->received_at_us),
                       x->recorded_at_us, 0, x->submitted_position,
                       "received " + format_instant(app->received_at_us) + ", recorded " +
                           format_instant(x->recorded_at_us) + ", after the deadline " + format_instant(deadline)});
    }
  for (auto& iid : idx->invoices) {
    const InvoiceState* inv = find(rm.core().invoices(), iid);
    const InvoiceExtra* x = find(rm.invoices(), iid);
    if (!inv || !x) continue;
    for (auto& p : x->payments)
      if (p.date < inv->issue_date)
        out.push_back(
            {"payment_before_invoice", "invoice", iid, inv->pair_id, p.date, 0, 0, p.position,
             "paid " + format_date(p.date) + ", before the invoice's issue date " + format_date(inv->issue_date)});
    if (inv->cancelled) continue;
    const PairState* pr = find(rm.core().pairs(), inv->pair_id);
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
  const ProgrammeState* prog = find(rm.core().programmes(), programme_id);
  const ProgrammeIndex* idx = find(rm.programmes(), programme_id);
  if (!prog || !idx) return r;
  r.years = prog->rules.retention_years;
  for (auto& iid : idx->invoices)
    if (const InvoiceExtra* x = find(rm.invoices(), iid))
      for (auto& p : x->payments) r.last_payment_date = std::max(r.last_payment_date, p.date);
  if (r.last_payment_date != 0) {
    int year = std::stoi(format_date(r.last_payment_date).substr(0, 4));
    r.retain_until = days_from_civil(year + r.years, 12, 31);
  }
  return r;
}

std::vector<Suggestion> mentor_suggestions(const ReadModels& rm, const MenteeState& mentee) {
  std::vector<Suggestion> out;
  const ProgrammeIndex* idx = find(rm.programmes(), mentee.programme_id);
  if (!idx) return out;
  for (auto& mid : idx->mentors) {
    const MentorState* m = find(rm.core().mentors(), mid);
    if (!m) continue;
    Suggestion s;
    s.mentor = m;
    s.offered = m->areas;
    if (auto* a = find(rm.core().applications(), m->application_id)) s.organisation = a->organisation;
    for (auto& need : mentee.needs)
      if (std::find(m->areas.begin(), m->areas.end(), need) != m->areas.end()) s.matched.push_back(need);
    if (auto* pairs = find(rm.pairs_of_mentor(), mid))
      for (auto& pid : *pairs)
        if (auto* pr = find(rm.core().pairs(), pid); pr && pr->status == PairStatus::active) ++s.active_pairs;
    auto n = static_cast<std::int64_t>(s.matched.size());
    std::string matched;
    for (auto& x : s.matched) matched += (matched.empty() ? "" : ", ") + x;
    s.parts.push_back({"needs", n * kNeedPoints,
                       !mentee.diagnosed ? "the mentee has no needs diagnosis"
                       : n == 0 ? "offers none of the mentee's " + std::to_string(mentee.needs.size()) + " needs"
                                : "offers " + std::to_string(n) + " of the mentee's " +
                                      std::to_string(mentee.needs.size()) + " needs: " + matched});
    s.parts.push_back({"load", s.active_pairs * kLoadPoints,
                       std::to_string(s.active_pairs) + " active pair" + (s.active_pairs == 1 ? "" : "s")});
    bool other = m->country != mentee.country;
    s.parts.push_back({"country", other ? kOtherCountryPoints : 0,
                       other ? "from " + m->country + ", another country than the mentee's (" + mentee.country + ")"
                             : "from the mentee's own country (" + m->country + ")"});
    for (auto& p : s.parts) s.score += p.points;
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(), [](const Suggestion& a, const Suggestion& b) {
    if (a.score != b.score) return a.score > b.score;
    if (a.active_pairs != b.active_pairs) return a.active_pairs < b.active_pairs;
    return a.mentor->id < b.mentor->id;
  });
  return out;
}

ApplicationRow application_row(const ReadModels& rm, const ApplicationState& app) {
  ApplicationRow r;
  r.app = &app;
  r.extra = find(rm.applications(), app.id);
  const ProgrammeState* prog = find(rm.core().programmes(), app.programme_id);
  if (!prog) return r;
  // The one definition of eligibility, also the one that decides (domain/eligibility.h).
  for (auto& why : eligibility(
           prog->rules, {app.country, app.profile, app.years_experience, app.quotation_cents, app.received_at_us})) {
    r.eligible = false;
    r.reasons.push_back(std::move(why.message));
  }
  return r;
}

}  // namespace pl
