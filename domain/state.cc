#include "domain/state.h"

#include <algorithm>

#include "base/checked.h"
#include "domain/sampling.h"

namespace pl {
namespace {

std::string str(const flatbuffers::String* s) { return s ? s->str() : std::string(); }
std::string_view sv(const flatbuffers::String* s) { return EventView::sv(s); }

}  // namespace

std::uint32_t State::topic(std::string_view name) {
  auto it = topic_index_.find(name);
  if (it != topic_index_.end()) return it->second;
  auto i = static_cast<std::uint32_t>(topic_names_.size());
  topic_names_.emplace_back(name);
  topic_index_.emplace(topic_names_.back(), i);
  return i;
}

void State::reserve(std::uint64_t events) {
  // Each entry is made by an event, and an entity of a programme comes with
  // several events of its own (an enrolment brings a pair, sessions,
  // invoices): one bucket per 16 events sizes them with room, for at most
  // 8 bytes of buckets per 16 events and map.
  auto n = static_cast<std::size_t>(events / 16);
  mentees_.reserve(n);
  pairs_.reserve(n);
  applications_.reserve(n);
  mentors_.reserve(n);
  invoices_.reserve(n);
}

void State::apply(const EventView& e) {
  position_ = e.position();
  ++counts_[static_cast<std::size_t>(e.type())];
  if (auto h = e.hash_bytes(); h.size() == head_hash_.size()) std::copy(h.begin(), h.end(), head_hash_.begin());
  // The first event after a sample request fixes its seed: its own hash.
  for (const auto& [programme, id] : awaiting_seed_) {
    SampleRequestState& r = slot(programmes_, programme).sample_requests[id];
    r.seed_position = e.position();
    r.seed = head_hash_;
  }
  awaiting_seed_.clear();
  switch (e.type()) {
    case fb::Event::ProgrammeOpened: {
      auto* p = e.as<fb::ProgrammeOpened>();
      auto& s = slot(programmes_, sv(p->programme_id()));
      s.id = str(p->programme_id());
      s.name = str(p->name());
      s.coordinator = e.text(fb::ProgrammeOpened::VT_COORDINATOR);
      s.rules = Rules::from(p->rules());
      s.rules_version = 1;
      break;
    }
    case fb::Event::ProgrammeRulesAmended: {
      auto* p = e.as<fb::ProgrammeRulesAmended>();
      auto& s = slot(programmes_, sv(p->programme_id()));
      s.rules = Rules::from(p->rules());
      ++s.rules_version;
      break;
    }
    case fb::Event::ProgrammeClosed: {
      auto* p = e.as<fb::ProgrammeClosed>();
      auto& prog = slot(programmes_, sv(p->programme_id()));
      prog.closed = true;
      prog.closed_date = p->date();
      break;
    }
    case fb::Event::JointMeetingHeld:
      break;
    case fb::Event::MenteeEnrolled: {
      auto* p = e.as<fb::MenteeEnrolled>();
      auto& m = slot(mentees_, sv(p->mentee_id()));
      m.id = str(p->mentee_id());
      m.programme_id = str(p->programme_id());
      m.name = e.text(fb::MenteeEnrolled::VT_NAME);
      m.cluster_name = e.text(fb::MenteeEnrolled::VT_CLUSTER_NAME);
      m.country = str(p->country());
      break;
    }
    case fb::Event::MenteeWithdrawn:
      slot(mentees_, sv(e.as<fb::MenteeWithdrawn>()->mentee_id())).withdrawn = true;
      break;
    case fb::Event::ApplicationSubmitted: {
      auto* p = e.as<fb::ApplicationSubmitted>();
      auto& a = slot(applications_, sv(p->application_id()));
      a.id = str(p->application_id());
      a.programme_id = str(p->programme_id());
      a.applicant_name = e.text(fb::ApplicationSubmitted::VT_APPLICANT_NAME);
      a.organisation = e.text(fb::ApplicationSubmitted::VT_ORGANISATION);
      a.country = str(p->country());
      a.profile = p->profile();
      a.years_experience = p->years_experience();
      a.quotation_cents = p->quotation_cents();
      a.received_at_us = p->received_at_us();
      a.knowledge_areas.clear();
      if (auto* k = p->knowledge_areas())
        for (auto* name : *k) a.knowledge_areas.push_back(name->str());
      break;
    }
    case fb::Event::ApplicationAccepted: {
      auto* p = e.as<fb::ApplicationAccepted>();
      auto& a = slot(applications_, sv(p->application_id()));
      a.status = ApplicationStatus::accepted;
      a.mentor_id = str(p->mentor_id());
      auto& m = mentors_[a.mentor_id];
      m.id = a.mentor_id;
      m.programme_id = a.programme_id;
      m.application_id = a.id;
      m.name = a.applicant_name;
      m.country = a.country;
      m.quotation_cents = a.quotation_cents;
      m.areas = a.knowledge_areas;
      break;
    }
    case fb::Event::ApplicationRejected:
      slot(applications_, sv(e.as<fb::ApplicationRejected>()->application_id())).status = ApplicationStatus::rejected;
      break;
    case fb::Event::PairAssigned: {
      auto* p = e.as<fb::PairAssigned>();
      auto& pr = slot(pairs_, sv(p->pair_id()));
      pr.id = str(p->pair_id());
      pr.programme_id = str(p->programme_id());
      pr.mentor_id = str(p->mentor_id());
      pr.mentee_id = str(p->mentee_id());
      pr.start_date = p->start_date();
      pr.end_date = p->end_date();
      pr.agreed_fee_cents = p->agreed_fee_cents();
      auto& m = mentees_[pr.mentee_id];
      m.active_pair = pr.id;
      add_to(m.agreed_cents, pr.agreed_fee_cents);
      break;
    }
    case fb::Event::PairPeriodChanged: {
      auto* p = e.as<fb::PairPeriodChanged>();
      auto& pr = slot(pairs_, sv(p->pair_id()));
      pr.start_date = p->start_date();
      pr.end_date = p->end_date();
      break;
    }
    case fb::Event::SessionLogged: {
      auto* p = e.as<fb::SessionLogged>();
      auto& pr = slot(pairs_, sv(p->pair_id()));
      SessionState& s = pr.sessions.emplace_back();
      s.id = str(p->session_id());
      s.date = p->date();
      s.minutes = p->minutes();
      s.mode = p->mode();
      s.format = p->format();
      if (auto* t = p->topics()) {
        s.topics.reserve(t->size());
        for (auto* name : *t) s.topics.push_back(topic(name->string_view()));
      }
      s.position = e.position();
      pr.last_session_date = std::max(pr.last_session_date, s.date);
      add_to(pr.minutes_used, p->minutes());
      add_to(mentees_[pr.mentee_id].minutes_used, p->minutes());
      break;
    }
    case fb::Event::SessionVoided: {
      auto* p = e.as<fb::SessionVoided>();
      auto& pr = slot(pairs_, sv(p->pair_id()));
      auto sid = EventView::sv(p->session_id());
      pr.last_session_date = 0;
      for (auto& s : pr.sessions) {
        if (s.id == sid && !s.voided()) {
          s.voided_position = e.position();
          sub_from(pr.minutes_used, s.minutes);
          sub_from(mentees_[pr.mentee_id].minutes_used, s.minutes);
        }
        if (!s.voided()) pr.last_session_date = std::max(pr.last_session_date, s.date);
      }
      break;
    }
    case fb::Event::ReportSubmitted:
      slot(pairs_, sv(e.as<fb::ReportSubmitted>()->pair_id())).report_submitted = true;
      break;
    case fb::Event::PairCompleted:
    case fb::Event::PairTerminated: {
      bool completed = e.type() == fb::Event::PairCompleted;
      std::string id =
          completed ? str(e.as<fb::PairCompleted>()->pair_id()) : str(e.as<fb::PairTerminated>()->pair_id());
      auto& pr = pairs_[id];
      pr.status = completed ? PairStatus::completed : PairStatus::terminated;
      auto& m = mentees_[pr.mentee_id];
      if (m.active_pair == id) m.active_pair.clear();
      // A terminated pair's fee is no longer agreed beyond what was invoiced.
      if (!completed) sub_from(m.agreed_cents, pr.agreed_fee_cents);
      break;
    }
    case fb::Event::InvoiceIssued: {
      auto* p = e.as<fb::InvoiceIssued>();
      auto& inv = slot(invoices_, sv(p->invoice_id()));
      inv.id = str(p->invoice_id());
      inv.pair_id = str(p->pair_id());
      inv.mentor_id = str(p->mentor_id());
      inv.mentee_id = str(p->mentee_id());
      inv.number = str(p->number());
      inv.issue_date = p->issue_date();
      inv.net_cents = p->net_cents();
      inv.vat_cents = p->vat_cents();
      inv.recorded_by.insert(std::string(e.actor_id()));
      add_to(pairs_[inv.pair_id].net_invoiced_cents, inv.net_cents);
      add_to(mentees_[inv.mentee_id].net_invoiced_cents, inv.net_cents);
      mentors_[inv.mentor_id].invoice_numbers.insert(inv.number);
      break;
    }
    case fb::Event::InvoicePaid: {
      auto* p = e.as<fb::InvoicePaid>();
      auto& inv = slot(invoices_, sv(p->invoice_id()));
      if (auto prog = programmes_.find(e.programme_id()); prog != programmes_.end())
        prog->second.last_payment_date = std::max(prog->second.last_payment_date, p->paid_date());
      add_to(inv.paid_cents, p->amount_cents());
      add_to(inv.vat_paid_cents, p->vat_cents());
      inv.recorded_by.insert(std::string(e.actor_id()));
      break;
    }
    case fb::Event::InvoiceCancelled: {
      auto& inv = slot(invoices_, sv(e.as<fb::InvoiceCancelled>()->invoice_id()));
      if (!inv.cancelled) {
        inv.cancelled = true;
        std::int64_t back = inv.net_cents - inv.credited_cents;
        sub_from(pairs_[inv.pair_id].net_invoiced_cents, back);
        sub_from(mentees_[inv.mentee_id].net_invoiced_cents, back);
      }
      break;
    }
    case fb::Event::CreditNoteIssued: {
      auto* p = e.as<fb::CreditNoteIssued>();
      auto& inv = slot(invoices_, sv(p->invoice_id()));
      add_to(inv.credited_cents, p->amount_cents());
      add_to(inv.vat_credited_cents, p->vat_cents());
      inv.recorded_by.insert(std::string(e.actor_id()));
      if (inv.verified && p->amount_cents() != 0) {
        // The net it was verified against is gone: verified again or not at all.
        inv.verified = false;
        inv.certified_cents = inv.deducted_cents = 0;
      }
      inv.credit_notes.insert(str(p->credit_note_id()));
      slot(credit_notes_, sv(p->credit_note_id())) = inv.id;
      sub_from(pairs_[inv.pair_id].net_invoiced_cents, p->amount_cents());
      sub_from(mentees_[inv.mentee_id].net_invoiced_cents, p->amount_cents());
      break;
    }
    case fb::Event::TourScheduled: {
      auto* p = e.as<fb::TourScheduled>();
      auto& t = slot(tours_, sv(p->tour_id()));
      t.id = str(p->tour_id());
      t.programme_id = str(p->programme_id());
      break;
    }
    case fb::Event::TourParticipantRegistered: {
      auto* p = e.as<fb::TourParticipantRegistered>();
      if (sv(p->mentee_id()).empty()) {
        slot(tours_, sv(p->tour_id())).others.insert(str(p->participant_id()));
        break;
      }
      slot(tours_, sv(p->tour_id())).participants.insert(str(p->mentee_id()));
      slot(mentees_, sv(p->mentee_id())).tours.insert(str(p->tour_id()));
      break;
    }
    case fb::Event::TourParticipantCancelled: {
      auto* p = e.as<fb::TourParticipantCancelled>();
      if (sv(p->mentee_id()).empty()) {
        slot(tours_, sv(p->tour_id())).others.erase(str(p->participant_id()));
        break;
      }
      slot(tours_, sv(p->tour_id())).participants.erase(str(p->mentee_id()));
      slot(mentees_, sv(p->mentee_id())).tours.erase(str(p->tour_id()));
      break;
    }
    case fb::Event::NeedsDiagnosed: {
      auto* p = e.as<fb::NeedsDiagnosed>();
      auto& m = slot(mentees_, sv(p->mentee_id()));
      m.diagnosed = true;
      m.needs.clear();
      if (auto* a = p->areas())
        for (auto* name : *a) m.needs.push_back(name->str());
      break;
    }
    case fb::Event::EvidenceAttached:
    case fb::Event::SubjectErased:  // the key is gone; the state keeps the texts sealed as they were
      break;
    case fb::Event::SampleRequested: {
      auto* p = e.as<fb::SampleRequested>();
      SampleRequestState r;
      r.id = str(p->sample_id());
      r.population = str(p->population());
      r.method = str(p->method());
      r.reason = e.text(fb::SampleRequested::VT_REASON);
      r.requested_by = e.actor_name();
      r.size = p->size();
      r.position = e.position();
      r.recorded_at_us = e.recorded_at_us();
      r.population_count = p->population_count();
      r.population_total_cents = p->population_total_cents();
      r.population_sha256 = str(p->population_sha256());
      // The units are this fold's own listing of the events before the
      // request, not the request's word: a draw and a check of a pack draw
      // from them (sampling.h).
      if (auto kind = parse_population(r.population)) r.items = population(*this, str(p->programme_id()), *kind);
      awaiting_seed_.emplace_back(str(p->programme_id()), r.id);
      slot(programmes_, sv(p->programme_id())).sample_requests[r.id] = std::move(r);
      break;
    }
    case fb::Event::SampleDrawn: {
      auto* p = e.as<fb::SampleDrawn>();
      auto& prog = slot(programmes_, sv(p->programme_id()));
      auto& units = prog.samples[str(p->sample_id())];
      if (auto* items = p->items())
        for (auto* it : *items) units.insert(str(it->id()));
      if (auto r = prog.sample_requests.find(str(p->sample_id())); r != prog.sample_requests.end())
        r->second.drawn_position = e.position();
      break;
    }
    case fb::Event::ExpenditureVerified: {
      auto* p = e.as<fb::ExpenditureVerified>();
      auto& inv = slot(invoices_, sv(p->invoice_id()));
      inv.verified = true;
      inv.verified_by = std::string(e.actor_id());
      inv.certified_cents = p->certified_cents();
      inv.deducted_cents = p->deducted_cents();
      // A new verification certifies afresh: the corrections already
      // applied stay counted against what it certifies.
      break;
    }
    case fb::Event::FindingRecorded: {
      auto* p = e.as<fb::FindingRecorded>();
      auto& f = slot(findings_, sv(p->finding_id()));
      f.id = str(p->finding_id());
      f.programme_id = str(p->programme_id());
      f.invoice_id = str(p->invoice_id());
      f.recorded_by = std::string(e.actor_id());
      f.amount_cents = p->amount_cents();
      break;
    }
    case fb::Event::FinancialCorrectionApplied: {
      auto* p = e.as<fb::FinancialCorrectionApplied>();
      auto& f = slot(findings_, sv(p->finding_id()));
      add_to(f.corrected_cents, p->amount_cents());
      f.corrections.insert(str(p->correction_id()));
      slot(corrections_, sv(p->correction_id())) = f.id;
      add_to(slot(invoices_, sv(p->invoice_id())).corrected_cents, p->amount_cents());
      break;
    }
    case fb::Event::NONE:
      break;
  }
}

}  // namespace pl
