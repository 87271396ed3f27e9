// The write-side state: what the writer's decisions are checked against.
//
// A pure fold over events: apply() is the only way it changes, and the same
// fold serves the writer, a full rebuild and an as-of replay, so "hours used"
// or "net invoiced" has one definition. All money is integer euro cents, all
// durations integer minutes, dates days since 1970-01-01.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/sha256.h"
#include "domain/rules.h"
#include "log/envelope.h"

namespace pl {

// One unit of a population a sample is drawn from (domain/sampling.h).
struct PopulationItem {
  std::string id;  // an invoice id; a session as "pair_id/session_id"
  std::int64_t amount_cents = 0;
  template <class A>
  void io(A& a) {
    a(id, amount_cents);
  }
};

// A SampleRequested, and what the log has fixed of it since: the seed (the
// hash of the first event after it) and whether it was drawn.
struct SampleRequestState {
  std::string id, population, method;
  SealedText reason, requested_by;  // requested_by: the actor's name
  std::int64_t size = 0;
  std::uint64_t position = 0;  // of the SampleRequested
  std::int64_t recorded_at_us = 0;
  // As the request records them, and the population listed by this fold
  // from the events before the request (the draw's units).
  std::int64_t population_count = 0, population_total_cents = 0;
  std::string population_sha256;
  std::vector<PopulationItem> items;
  std::uint64_t seed_position = 0;  // 0: no event after the request yet
  Hash seed{};
  std::uint64_t drawn_position = 0;  // 0: not drawn
  template <class A>
  void io(A& a) {
    a(id, population, method, reason, requested_by, size, position, recorded_at_us, population_count,
      population_total_cents, population_sha256, items, seed_position, seed, drawn_position);
  }
};

struct ProgrammeState {
  std::string id, name;
  SealedText coordinator;
  Rules rules;
  std::uint32_t rules_version = 0;  // 1 when opened, +1 per amendment
  bool closed = false;
  std::int32_t closed_date = 0;        // the date it closed (0: open)
  std::int32_t last_payment_date = 0;  // the latest paid_date of its invoices (0: none)
  // The samples drawn: id -> the ids of the units each selected.
  std::map<std::string, std::set<std::string>> samples;
  // The samples requested, by id (docs/CONTROL.md: a request, then its draw).
  std::map<std::string, SampleRequestState> sample_requests;
  template <class A>
  void io(A& a) {
    a(id, name, coordinator, rules, rules_version, closed, closed_date, last_payment_date, samples, sample_requests);
  }
};

struct MenteeState {
  std::string id, programme_id, country;
  SealedText name, cluster_name;
  bool withdrawn = false;
  std::int64_t minutes_used = 0;        // every pair, voided sessions excluded
  std::int64_t agreed_cents = 0;        // agreed fees of pairs not terminated
  std::int64_t net_invoiced_cents = 0;  // every pair, less cancelled invoices and credit notes
  std::string active_pair;              // empty: none
  std::set<std::string> tours;          // registrations not cancelled
  bool diagnosed = false;               // a NeedsDiagnosed was recorded
  std::vector<std::string> needs;       // the last diagnosis's knowledge areas
  template <class A>
  void io(A& a) {
    a(id, programme_id, name, cluster_name, country, withdrawn, minutes_used, agreed_cents, net_invoiced_cents,
      active_pair, tours, diagnosed, needs);
  }
};

enum class ApplicationStatus : std::uint8_t { submitted = 0, accepted = 1, rejected = 2 };

struct ApplicationState {
  std::string id, programme_id, country;
  SealedText applicant_name, organisation;
  fb::Profile profile = fb::Profile::cluster_manager;
  std::int32_t years_experience = 0;
  std::int64_t quotation_cents = 0;
  std::int64_t received_at_us = 0;
  ApplicationStatus status = ApplicationStatus::submitted;
  std::string mentor_id;
  std::vector<std::string> knowledge_areas;  // offered
  template <class A>
  void io(A& a) {
    a(id, programme_id, applicant_name, organisation, country, profile, years_experience, quotation_cents,
      received_at_us, status, mentor_id, knowledge_areas);
  }
};

struct MentorState {
  std::string id, programme_id, application_id, country;
  SealedText name;  // its application's applicant_name
  std::int64_t quotation_cents = 0;
  std::set<std::string> invoice_numbers;
  std::vector<std::string> areas;  // the knowledge areas its application offered
  template <class A>
  void io(A& a) {
    a(id, programme_id, application_id, name, country, quotation_cents, invoice_numbers, areas);
  }
};

// A session as logged; the summary stays in the log, at `position`.
struct SessionState {
  std::string id;
  std::int32_t date = 0;
  std::int64_t minutes = 0;
  fb::Mode mode = fb::Mode::remote;
  fb::Format format = fb::Format::bilateral;
  std::vector<std::uint32_t> topics;  // indexes into State::topic_names()
  std::uint64_t position = 0;
  std::uint64_t voided_position = 0;  // 0: not voided
  bool voided() const { return voided_position != 0; }
  template <class A>
  void io(A& a) {
    a(id, date, minutes, mode, format, topics, position, voided_position);
  }
};

enum class PairStatus : std::uint8_t { active = 0, completed = 1, terminated = 2 };

struct PairState {
  std::string id, programme_id, mentor_id, mentee_id;
  std::int32_t start_date = 0, end_date = 0;
  std::int64_t agreed_fee_cents = 0;
  PairStatus status = PairStatus::active;
  bool report_submitted = false;
  std::vector<SessionState> sessions;   // in the order logged
  std::int32_t last_session_date = 0;   // 0: none; voided sessions excluded
  std::int64_t minutes_used = 0;        // voided sessions excluded
  std::int64_t net_invoiced_cents = 0;  // less cancelled invoices and credit notes
  template <class A>
  void io(A& a) {
    a(id, programme_id, mentor_id, mentee_id, start_date, end_date, agreed_fee_cents, status, report_submitted,
      sessions, minutes_used, net_invoiced_cents, last_session_date);
  }
  const SessionState* session(std::string_view sid) const {
    for (const auto& s : sessions)
      if (s.id == sid) return &s;
    return nullptr;
  }
};

struct InvoiceState {
  std::string id, pair_id, mentor_id, mentee_id, number;
  std::int32_t issue_date = 0;
  std::int64_t net_cents = 0, vat_cents = 0;
  std::int64_t paid_cents = 0, credited_cents = 0;
  std::int64_t vat_paid_cents = 0, vat_credited_cents = 0;
  bool cancelled = false;
  std::set<std::string> credit_notes;
  // The people (actor subject ids) who recorded the invoice or a payment of it:
  // none of them may verify it (four eyes).
  std::set<std::string> recorded_by;
  // The last verification, and the corrections since taken off what it
  // certified. A credit note after it makes it stale (verified false, its
  // figures zero): the net it certified is no longer the invoice's.
  bool verified = false;
  std::string verified_by;  // who verified it last: not one to pay or credit it after (four eyes)
  std::int64_t certified_cents = 0, deducted_cents = 0, corrected_cents = 0;
  std::int64_t net_invoiced_cents() const { return net_cents - credited_cents; }
  // What is certified less the corrections: what a correction may still take.
  std::int64_t correctable_cents() const { return certified_cents - corrected_cents; }
  // What can still be paid or credited of each part: the VAT-excluded
  // amount (net less credit notes less payments) and the VAT.
  std::int64_t due_cents() const { return net_cents - credited_cents - paid_cents; }
  std::int64_t vat_due_cents() const { return vat_cents - vat_credited_cents - vat_paid_cents; }
  template <class A>
  void io(A& a) {
    a(id, pair_id, mentor_id, mentee_id, number, issue_date, net_cents, vat_cents, paid_cents, credited_cents,
      vat_paid_cents, vat_credited_cents, cancelled, credit_notes, recorded_by, verified, verified_by, certified_cents,
      deducted_cents, corrected_cents);
  }
};

// A finding on an invoice's expenditure, and the corrections that answer it.
struct FindingState {
  std::string id, programme_id, invoice_id;
  std::string recorded_by;  // the actor's subject id: not the one to correct it (four eyes)
  std::int64_t amount_cents = 0, corrected_cents = 0;
  std::set<std::string> corrections;
  template <class A>
  void io(A& a) {
    a(id, programme_id, invoice_id, recorded_by, amount_cents, corrected_cents, corrections);
  }
};

struct TourState {
  std::string id, programme_id;
  std::set<std::string> participants;  // mentees (cluster managers), registrations not cancelled
  std::set<std::string> others;        // participant ids of the other kinds, likewise
  template <class A>
  void io(A& a) {
    a(id, programme_id, participants, others);
  }
};

class State {
 public:
  void apply(const EventView& e);
  // Moves the position (and the head hash) to `position`, whose event has
  // `hash`, without applying the events in between: for a fold of one
  // programme's events (read/asof.h), to which the events of other
  // programmes change nothing. REQUIRES: position >= position().
  void pass(std::uint64_t position, const Hash& hash) {
    position_ = position;
    head_hash_ = hash;
  }
  // Sizes the maps of entities for a fold of about `events` more events, so
  // that a long fold does not rehash them as they grow (each rehash walks
  // every entry, a cache miss apiece). A hint only: the maps grow past it.
  void reserve(std::uint64_t events);

  std::uint64_t position() const { return position_; }
  std::uint64_t count(fb::Event type) const { return counts_[static_cast<std::size_t>(type)]; }

  // Maps by id, looked up with the string views the events hold, without
  // making a string for every lookup.
  struct IdHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  template <typename T>
  using Map = std::unordered_map<std::string, T, IdHash, std::equal_to<>>;
  const Map<ProgrammeState>& programmes() const { return programmes_; }
  const Map<MenteeState>& mentees() const { return mentees_; }
  const Map<ApplicationState>& applications() const { return applications_; }
  const Map<MentorState>& mentors() const { return mentors_; }
  const Map<PairState>& pairs() const { return pairs_; }
  const Map<InvoiceState>& invoices() const { return invoices_; }
  const Map<TourState>& tours() const { return tours_; }
  // Credit note id -> invoice id.
  const Map<std::string>& credit_notes() const { return credit_notes_; }
  const Map<FindingState>& findings() const { return findings_; }
  // Correction id -> finding id.
  const Map<std::string>& corrections() const { return corrections_; }
  // The hash of the last event applied (zeros before any): the seed of a
  // sample drawn at once, in the events before requests existed.
  const Hash& head_hash() const { return head_hash_; }
  // Session topics, interned: SessionState::topics index this.
  const std::vector<std::string>& topic_names() const { return topic_names_; }

  // Every field, for the archive (base/archive.h): checkpoints and the
  // byte-for-byte comparison of states.
  template <class A>
  void io(A& a) {
    a(position_, counts_, programmes_, mentees_, applications_, mentors_, pairs_, invoices_, tours_, credit_notes_,
      topic_names_, findings_, corrections_, head_hash_, awaiting_seed_);
    if constexpr (!A::saving) {
      topic_index_.clear();
      for (std::uint32_t i = 0; i < topic_names_.size(); ++i) topic_index_.emplace(topic_names_[i], i);
    }
  }

  template <typename T>
  static const T* find(const Map<T>& m, std::string_view id) {
    auto it = m.find(id);
    return it == m.end() ? nullptr : &it->second;
  }
  // The entry under `id`, made if missing (operator[] with a view).
  template <typename T>
  static T& slot(Map<T>& m, std::string_view id) {
    auto it = m.find(id);
    if (it == m.end()) it = m.emplace(std::string(id), T{}).first;
    return it->second;
  }

 private:
  std::uint64_t position_ = 0;
  std::array<std::uint64_t, 256> counts_{};
  Map<ProgrammeState> programmes_;
  Map<MenteeState> mentees_;
  Map<ApplicationState> applications_;
  Map<MentorState> mentors_;
  Map<PairState> pairs_;
  Map<InvoiceState> invoices_;
  Map<TourState> tours_;
  Map<std::string> credit_notes_;
  std::vector<std::string> topic_names_;
  Map<FindingState> findings_;
  Map<std::string> corrections_;
  Hash head_hash_{};
  // The sample requests whose seed is the next event's hash: (programme, id).
  std::vector<std::pair<std::string, std::string>> awaiting_seed_;
  Map<std::uint32_t> topic_index_;  // derived from topic_names_
  std::uint32_t topic(std::string_view name);
};

// Builds a finished Payload buffer. `build` adds the event table to the
// builder and returns its offset (e.g. fb::CreateSessionLoggedDirect(b, ...).Union()).
template <typename BuildFn>
std::string make_payload(fb::Event type, BuildFn&& build) {
  flatbuffers::FlatBufferBuilder b(256);
  flatbuffers::Offset<void> ev = build(b);
  b.Finish(fb::CreatePayload(b, type, ev));
  return std::string(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
}

}  // namespace pl
