// The fold of the read models (ReadModels::apply), a programme's counts and an
// application's row. The other views: read_money.cc (the budget),
// read_pairs.cc (pairs, hours, suggestions), read_control.cc (the control of
// spending).
#include "read/read_models.h"

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

std::string ReadModels::text(const SealedText& t) const {
  if (t.empty()) return {};
  return vault_ ? vault_->text(t) : std::string(kSealedText);
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
      a.email = e.text(fb::ApplicationSubmitted::VT_EMAIL);
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
      a.rejection_reason = e.text(fb::ApplicationRejected::VT_REASON);
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
      x.override_reason = e.text(fb::PairAssigned::VT_OVERRIDE_REASON);
      break;
    }
    case fb::Event::SessionLogged: {
      auto* p = e.as<fb::SessionLogged>();
      pair_extra(sv(p->pair_id()))
          .sessions.push_back(SessionText{e.text(fb::SessionLogged::VT_SUMMARY), {}, e.recorded_at_us()});
      break;
    }
    case fb::Event::SessionVoided: {
      // core_ has voided the session(s) at this position: their texts sit at
      // the same indexes.
      auto* p = e.as<fb::SessionVoided>();
      auto& x = pair_extra(sv(p->pair_id()));
      if (const PairState* pr = State::find(core_.pairs(), sv(p->pair_id())))
        for (std::size_t i = 0; i < pr->sessions.size() && i < x.sessions.size(); ++i)
          if (pr->sessions[i].voided_position == pos) x.sessions[i].void_reason = e.text(fb::SessionVoided::VT_REASON);
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
      x.end_reason = e.text(fb::PairTerminated::VT_REASON);
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
        x.cancel_reason = e.text(fb::InvoiceCancelled::VT_REASON);
      }
      break;
    }
    case fb::Event::CreditNoteIssued: {
      auto* p = e.as<fb::CreditNoteIssued>();
      auto& x = invoice_extra(sv(p->invoice_id()));
      x.credits.push_back(Movement{pos, str(p->credit_note_id()), day, p->amount_cents(),
                                   e.text(fb::CreditNoteIssued::VT_REASON), p->vat_cents()});
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
        person.name = e.text(fb::TourParticipantRegistered::VT_NAME);
        person.organisation = e.text(fb::TourParticipantRegistered::VT_ORGANISATION);
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
      slot(needs_, sv(p->mentee_id())) = NeedsExtra{e.text(fb::NeedsDiagnosed::VT_NOTE), pos};
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
      link.filename = e.text(fb::EvidenceAttached::VT_FILENAME);
      link.content_type = str(p->content_type());
      link.note = e.text(fb::EvidenceAttached::VT_NOTE);
      link.size = p->size();
      link.position = pos;
      link.recorded_at_us = e.recorded_at_us();
      link.recorded_by = e.actor_name();
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
      row.recorded = {pos, e.recorded_at_us(), e.actor_name()};
      slot(programmes_, sv(p->programme_id())).samples.push_back(std::move(row));
      break;
    }
    case fb::Event::ExpenditureVerified: {
      auto* p = e.as<fb::ExpenditureVerified>();
      slot(invoices_, sv(p->invoice_id())).verification = VerificationRow{p->certified_cents(),
                                                                          p->deducted_cents(),
                                                                          str(p->error_type()),
                                                                          str(p->sample_id()),
                                                                          e.text(fb::ExpenditureVerified::VT_NOTE),
                                                                          {pos, e.recorded_at_us(), e.actor_name()}};
      break;
    }
    case fb::Event::FindingRecorded: {
      auto* p = e.as<fb::FindingRecorded>();
      FindingRow row;
      row.id = str(p->finding_id());
      row.source = str(p->source());
      row.invoice_id = str(p->invoice_id());
      row.error_type = str(p->error_type());
      row.description = e.text(fb::FindingRecorded::VT_DESCRIPTION);
      if (auto* ps = p->positions()) row.positions.assign(ps->begin(), ps->end());
      row.amount_cents = p->amount_cents();
      row.recorded = {pos, e.recorded_at_us(), e.actor_name()};
      slot(programmes_, sv(p->programme_id())).findings.push_back(row.id);
      findings_[row.id] = std::move(row);
      break;
    }
    case fb::Event::FinancialCorrectionApplied: {
      auto* p = e.as<fb::FinancialCorrectionApplied>();
      CorrectionRow row{str(p->correction_id()), str(p->finding_id()),
                        str(p->invoice_id()),    e.text(fb::FinancialCorrectionApplied::VT_REASON),
                        p->amount_cents(),       {pos, e.recorded_at_us(), e.actor_name()}};
      slot(invoices_, row.invoice_id).corrections.push_back(row);
      slot(findings_, row.finding_id).corrections.push_back(std::move(row));
      break;
    }
    default:
      break;
  }
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
