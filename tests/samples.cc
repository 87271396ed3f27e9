#include "util.h"

namespace pl::test {

fb::PayloadT sample_event(fb::Event type, int seed) {
  std::string n = std::to_string(seed);
  auto rules = [&] {
    auto r = std::make_unique<fb::RulesT>();
    r->hour_cap_minutes = 32 * 60;
    r->fee_cap_cents = 310000 + seed;
    r->min_months = 6;
    r->max_months = 12;
    r->application_deadline_us = 1552690799000000 + seed;
    r->cofunding_bp = 9000;
    r->mentee_countries = {"DZ", "EG", "JO", "LB", "MA", "PS", "TN"};
    r->mentor_countries = {"FR", "IT", "ES"};
    r->knowledge_areas = {"strategy", "governance"};
    r->expert_min_years = 5;
    r->max_tours_per_mentee = 2;
    return r;
  };
  fb::PayloadT p;
  switch (type) {
    case fb::Event::ProgrammeOpened: {
      fb::ProgrammeOpenedT e;
      e.programme_id = "prog-" + n;
      e.name = "Cluster Booster Track " + n;
      e.coordinator = "France Clusters";
      e.rules = rules();
      p.event.Set(std::move(e));
      break;
    }
    case fb::Event::ProgrammeRulesAmended: {
      fb::ProgrammeRulesAmendedT e;
      e.programme_id = "prog-" + n;
      e.rules = rules();
      e.reason = "second call";
      p.event.Set(std::move(e));
      break;
    }
    case fb::Event::JointMeetingHeld: {
      fb::JointMeetingHeldT e;
      e.programme_id = "prog-" + n;
      e.meeting_id = "jm-" + n;
      e.date = 18650 + seed;
      e.title = "Kick-off";
      e.pair_ids = {"p01", "p02"};
      p.event.Set(std::move(e));
      break;
    }
    case fb::Event::ProgrammeClosed: {
      fb::ProgrammeClosedT e;
      e.programme_id = "prog-" + n;
      e.date = 18900 + seed;
      e.reason = "edition over";
      p.event.Set(std::move(e));
      break;
    }
    case fb::Event::MenteeEnrolled: {
      fb::MenteeEnrolledT e;
      e.programme_id = "prog-" + n;
      e.mentee_id = "m-" + n;
      e.name = "Amina Example";
      e.cluster_name = "Algeria Digital Cluster";
      e.sectors = "ICT";
      e.country = "DZ";
      e.website = "https://example.org/" + n;
      p.event.Set(std::move(e));
      break;
    }
    case fb::Event::MenteeWithdrawn: {
      fb::MenteeWithdrawnT e;
      e.mentee_id = "m-" + n;
      e.date = 18700 + seed;
      e.reason = "left the cluster";
      p.event.Set(std::move(e));
      break;
    }
    case fb::Event::ApplicationSubmitted: {
      fb::ApplicationSubmittedT e;
      e.programme_id = "prog-" + n;
      e.application_id = "a-" + n;
      e.applicant_name = "Jean Exemple";
      e.organisation = "Cluster Exemple";
      e.email = "jean@example.org";
      e.country = "FR";
      e.profile = fb::Profile::expert;
      e.years_experience = 7 + seed;
      e.knowledge_areas = {"strategy", "financing model & sustainability"};
      e.quotation_cents = 300000 + seed;
      e.received_at_us = 1550000000000000 + seed;
      p.event.Set(std::move(e));
      break;
    }
    case fb::Event::ApplicationAccepted: {
      fb::ApplicationAcceptedT e;
      e.application_id = "a-" + n;
      e.mentor_id = "mentor-" + n;
      p.event.Set(std::move(e));
      break;
    }
    case fb::Event::ApplicationRejected: {
      fb::ApplicationRejectedT e;
      e.application_id = "a-" + n;
      e.reason = "no experience in the areas asked";
      p.event.Set(std::move(e));
      break;
    }
    case fb::Event::PairAssigned: {
      fb::PairAssignedT e;
      e.programme_id = "prog-" + n;
      e.pair_id = "p-" + n;
      e.mentor_id = "mentor-" + n;
      e.mentee_id = "m-" + n;
      e.start_date = 18650;
      e.end_date = 18650 + 200 + seed;
      e.agreed_fee_cents = 310000;
      e.topics = {"governance"};
      p.event.Set(std::move(e));
      break;
    }
    case fb::Event::PairPeriodChanged: {
      fb::PairPeriodChangedT e;
      e.pair_id = "p-" + n;
      e.start_date = 18650;
      e.end_date = 18950 + seed;
      e.reason = "summer break";
      p.event.Set(std::move(e));
      break;
    }
    case fb::Event::SessionLogged: {
      fb::SessionLoggedT e;
      e.pair_id = "p-" + n;
      e.session_id = "s-" + n;
      e.date = 18660 + seed;
      e.minutes = 90 + seed;
      e.mode = fb::Mode::in_person;
      e.format = fb::Format::group;
      e.topics = {"communication & branding"};
      e.summary = "Worked on the members' survey. é ü ✓";
      p.event.Set(std::move(e));
      break;
    }
    case fb::Event::SessionVoided: {
      fb::SessionVoidedT e;
      e.pair_id = "p-" + n;
      e.session_id = "s-" + n;
      e.reason = "logged twice";
      p.event.Set(std::move(e));
      break;
    }
    case fb::Event::ReportSubmitted: {
      fb::ReportSubmittedT e;
      e.pair_id = "p-" + n;
      e.language = "en";
      e.topics = {"strategy"};
      e.progress = "A new strategy adopted by the board.";
      e.outcomes = "Three new services.";
      p.event.Set(std::move(e));
      break;
    }
    case fb::Event::PairCompleted: {
      fb::PairCompletedT e;
      e.pair_id = "p-" + n;
      p.event.Set(std::move(e));
      break;
    }
    case fb::Event::PairTerminated: {
      fb::PairTerminatedT e;
      e.pair_id = "p-" + n;
      e.reason = "mentor unavailable";
      p.event.Set(std::move(e));
      break;
    }
    case fb::Event::InvoiceIssued: {
      fb::InvoiceIssuedT e;
      e.invoice_id = "i-" + n;
      e.pair_id = "p-" + n;
      e.mentor_id = "mentor-" + n;
      e.mentee_id = "m-" + n;
      e.number = "2019-00" + n;
      e.issue_date = 18800 + seed;
      e.net_cents = 155000 + seed;
      e.vat_cents = 31000;
      p.event.Set(std::move(e));
      break;
    }
    case fb::Event::InvoicePaid: {
      fb::InvoicePaidT e;
      e.invoice_id = "i-" + n;
      e.paid_date = 18830 + seed;
      e.amount_cents = 155000 + seed;
      p.event.Set(std::move(e));
      break;
    }
    case fb::Event::InvoiceCancelled: {
      fb::InvoiceCancelledT e;
      e.invoice_id = "i-" + n;
      e.reason = "wrong amount";
      p.event.Set(std::move(e));
      break;
    }
    case fb::Event::CreditNoteIssued: {
      fb::CreditNoteIssuedT e;
      e.invoice_id = "i-" + n;
      e.credit_note_id = "cn-" + n;
      e.amount_cents = 10000 + seed;
      e.reason = "one session not held";
      p.event.Set(std::move(e));
      break;
    }
    case fb::Event::TourScheduled: {
      fb::TourScheduledT e;
      e.programme_id = "prog-" + n;
      e.tour_id = "t-" + n;
      e.region = "Catalonia";
      e.host = "ACCIÓ";
      e.start_date = 18900;
      e.end_date = 18904;
      e.topics = {"cross-sector cooperation & inter-clustering"};
      p.event.Set(std::move(e));
      break;
    }
    case fb::Event::TourParticipantRegistered: {
      fb::TourParticipantRegisteredT e;
      e.tour_id = "t-" + n;
      e.mentee_id = "m-" + n;
      p.event.Set(std::move(e));
      break;
    }
    case fb::Event::TourParticipantCancelled: {
      fb::TourParticipantCancelledT e;
      e.tour_id = "t-" + n;
      e.mentee_id = "m-" + n;
      e.reason = "visa not granted in time";
      p.event.Set(std::move(e));
      break;
    }
    case fb::Event::NeedsDiagnosed: {
      fb::NeedsDiagnosedT e;
      e.mentee_id = "m-" + n;
      e.areas = {"governance", "member engagement"};
      e.note = "from the diagnosis workshop";
      p.event.Set(std::move(e));
      break;
    }
    case fb::Event::EvidenceAttached: {
      fb::EvidenceAttachedT e;
      e.entity = "invoice";
      e.entity_id = "i-" + n;
      e.sha256 = std::string(64, 'a');
      e.kind = "proof_of_payment";
      e.filename = "transfer-" + n + ".pdf";
      e.content_type = "application/pdf";
      e.size = 1000 + seed;
      p.event.Set(std::move(e));
      break;
    }
    case fb::Event::SampleDrawn: {
      fb::SampleDrawnT e;
      e.programme_id = "prog-" + n;
      e.sample_id = "s-" + n;
      e.population = "invoices_paid";
      e.method = "monetary_unit";
      e.size = 1;
      e.seed.assign(32, static_cast<std::uint8_t>(seed));
      e.population_count = 2;
      e.population_total_cents = 310000;
      e.population_sha256 = std::string(64, 'b');
      e.interval_cents = 310000;
      auto item = std::make_unique<fb::SampleItemT>();
      item->id = "i-" + n;
      item->amount_cents = 155000;
      item->hits = 1;
      e.items.push_back(std::move(item));
      e.request_position = 40 + static_cast<std::uint64_t>(seed);
      e.seed_position = 41 + static_cast<std::uint64_t>(seed);
      p.event.Set(std::move(e));
      break;
    }
    case fb::Event::SampleRequested: {
      fb::SampleRequestedT e;
      e.programme_id = "prog-" + n;
      e.sample_id = "s-" + n;
      e.population = "invoices_paid";
      e.method = "monetary_unit";
      e.size = 1;
      e.reason = "the year's sample";
      e.population_count = 2;
      e.population_total_cents = 310000;
      e.population_sha256 = std::string(64, 'b');
      p.event.Set(std::move(e));
      break;
    }
    case fb::Event::SubjectErased: {
      fb::SubjectErasedT e;
      e.subject = "mentee:m-" + n;
      e.basis = fb::ErasureBasis::court_order;
      e.court_reference = "TJ Paris 26/0" + n;
      e.reason = "the order of the court";
      e.programme_ids = {"prog-" + n};
      p.event.Set(std::move(e));
      break;
    }
    case fb::Event::ExpenditureVerified: {
      fb::ExpenditureVerifiedT e;
      e.invoice_id = "i-" + n;
      e.certified_cents = 150000;
      e.deducted_cents = 5000 + seed;
      e.error_type = "ineligible_cost";
      e.note = "one day outside the period";
      p.event.Set(std::move(e));
      break;
    }
    case fb::Event::FindingRecorded: {
      fb::FindingRecordedT e;
      e.programme_id = "prog-" + n;
      e.finding_id = "f-" + n;
      e.source = "audit_authority";
      e.invoice_id = "i-" + n;
      e.positions = {1, 2};
      e.error_type = "double_funding";
      e.amount_cents = 20000 + seed;
      e.description = "the same day invoiced twice";
      p.event.Set(std::move(e));
      break;
    }
    case fb::Event::FinancialCorrectionApplied: {
      fb::FinancialCorrectionAppliedT e;
      e.finding_id = "f-" + n;
      e.correction_id = "c-" + n;
      e.invoice_id = "i-" + n;
      e.amount_cents = 20000 + seed;
      e.reason = "as the finding";
      p.event.Set(std::move(e));
      break;
    }
    case fb::Event::NONE:
      break;
  }
  return p;
}

}  // namespace pl::test
