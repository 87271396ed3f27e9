// The read models: what coordinators, finance staff and auditors ask for.
// This header holds the models and their fold; read/read_models.h, which
// includes it, the views derived from them.
//
// ReadModels is one pure fold, apply(event), over the whole log. It holds the
// write-side State (domain/state.h) — so "hours used", "agreed" and "net
// invoiced" have the single definition the writer's checks use — plus what
// only readers need: each session's summary and void reason, each invoice's
// movements with the positions they came from, and per-programme indexes in
// the order entities appeared. Every read is answered from these alone; none
// goes back to the store. The views (pairs, hours, budget, applications) are derived from it
// by the functions of read/read_models.h, at the point in time the caller
// names; nothing else changes it. Equal histories give equal bytes (archive_bytes), which is what
// checkpoints store and what the tests compare.
//
// Thread safety: a ReadModels that no one applies to may be read from any
// number of threads at once (the projector's published snapshots are such);
// apply() needs exclusive access. References and pointers returned by the
// accessors and the views (PairRow, ApplicationRow) point into the
// ReadModels: valid while it lives and no event is applied to it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/archive.h"
#include "domain/state.h"
#include "log/vault.h"

namespace pl {

// Bump when apply() or the layout of ReadModels changes: a checkpoint written
// by another version is ignored and the models are rebuilt from position 1.
inline constexpr std::uint32_t kReadModelsVersion = 10;

// The texts of one session, which the write-side State does not keep.
struct SessionText {
  SealedText summary;      // as logged
  SealedText void_reason;  // empty while the session is not voided
  std::int64_t recorded_at_us = 0;
  template <class A>
  void io(A& a) {
    a(summary, void_reason, recorded_at_us);
  }
};

// A document attached to an entity (EvidenceAttached).
struct EvidenceLink {
  std::string entity;      // invoice, pair, session, application
  std::string entity_id;   // the invoice's, pair's or application's id
  std::string session_id;  // entity session only
  std::string sha256, kind, content_type;
  SealedText filename, note;
  std::int64_t size = 0;
  std::uint64_t position = 0;
  std::int64_t recorded_at_us = 0;
  SealedText recorded_by;  // the actor's name
  template <class A>
  void io(A& a) {
    a(entity, entity_id, session_id, sha256, kind, filename, content_type, note, size, position, recorded_at_us,
      recorded_by);
  }
};

// Who recorded an event, and when.
struct Recorded {
  std::uint64_t position = 0;
  std::int64_t at_us = 0;
  SealedText by;  // the actor's name
  template <class A>
  void io(A& a) {
    a(position, at_us, by);
  }
};

struct PairExtra {
  std::uint64_t assigned_position = 0;
  std::uint64_t ended_position = 0;              // PairCompleted or PairTerminated
  std::int32_t assigned_day = 0, ended_day = 0;  // the days (UTC) they were recorded
  SealedText end_reason;
  SealedText override_reason;  // why the topics depart from the diagnosis; empty: they do not
  std::vector<std::string> topics;
  std::vector<std::string> invoices;  // in the order issued
  std::string report_language;
  std::uint64_t report_position = 0;
  std::uint64_t stream_version = 0;  // of pair-<id>, for If-Match
  // One per PairState::sessions, in the same order (the order logged).
  std::vector<SessionText> sessions;
  std::vector<EvidenceLink> evidence;  // the pair's and its sessions', in the order attached
  template <class A>
  void io(A& a) {
    a(assigned_position, ended_position, assigned_day, ended_day, end_reason, override_reason, topics, invoices,
      report_language, report_position, stream_version, sessions, evidence);
  }
};

// A signed contribution of one event to a figure: the event's position and
// type, its date (the business date it carries: an invoice's issue date, a
// payment's date; else the day it was recorded, UTC) and the amount.
struct Entry {
  std::uint64_t position = 0;
  std::int64_t cents = 0;
  fb::Event type = fb::Event::NONE;
  std::int32_t date = 0;
};

struct Movement {  // a payment or a credit note
  std::uint64_t position = 0;
  std::string id;          // credit note id; empty for payments
  std::int32_t date = 0;   // a payment's date; a credit note's recording day (UTC)
  std::int64_t cents = 0;  // the VAT-excluded part
  SealedText reason;
  std::int64_t vat_cents = 0;
  template <class A>
  void io(A& a) {
    a(position, id, date, cents, reason, vat_cents);
  }
};

// The last ExpenditureVerified of an invoice.
struct VerificationRow {
  std::int64_t certified_cents = 0, deducted_cents = 0;
  std::string error_type, sample_id;
  SealedText note;
  Recorded recorded;  // position 0: not verified
  // The credit note after it that changed the net it verified (0: none):
  // a stale verification counts for nothing until the invoice is verified again.
  std::uint64_t stale_position = 0;
  template <class A>
  void io(A& a) {
    a(certified_cents, deducted_cents, error_type, note, sample_id, recorded, stale_position);
  }
};

struct CorrectionRow {
  std::string id, finding_id, invoice_id;
  SealedText reason;
  std::int64_t amount_cents = 0;
  Recorded recorded;
  template <class A>
  void io(A& a) {
    a(id, finding_id, invoice_id, reason, amount_cents, recorded);
  }
};

struct InvoiceExtra {
  std::uint64_t issued_position = 0;
  std::uint64_t cancelled_position = 0;  // 0: not cancelled
  std::int32_t cancelled_day = 0;        // the day (UTC) the cancellation was recorded
  SealedText cancel_reason;
  std::vector<Movement> payments, credits;
  std::uint64_t stream_version = 0;  // of invoice-<id>, for If-Match
  std::vector<EvidenceLink> evidence;
  VerificationRow verification;
  std::vector<CorrectionRow> corrections;
  template <class A>
  void io(A& a) {
    a(issued_position, cancelled_position, cancelled_day, cancel_reason, payments, credits, stream_version, evidence,
      verification, corrections);
  }
};

struct SampleRow {
  std::string id, population, method;
  std::int64_t size = 0, population_count = 0, population_total_cents = 0, interval_cents = 0;
  std::string seed, population_sha256;  // hex
  struct Unit {
    std::string id;
    std::int64_t amount_cents = 0;
    std::int32_t hits = 0;
    template <class A>
    void io(A& a) {
      a(id, amount_cents, hits);
    }
  };
  std::vector<Unit> units;
  Recorded recorded;
  template <class A>
  void io(A& a) {
    a(id, population, method, size, population_count, population_total_cents, interval_cents, seed, population_sha256,
      units, recorded);
  }
};

struct FindingRow {
  std::string id, source, invoice_id, error_type;
  SealedText description;
  std::vector<std::uint64_t> positions;
  std::int64_t amount_cents = 0;
  Recorded recorded;
  std::vector<CorrectionRow> corrections;
  template <class A>
  void io(A& a) {
    a(id, source, invoice_id, error_type, description, positions, amount_cents, recorded, corrections);
  }
};

// A mentee's last needs diagnosis (the areas are in MenteeState::needs).
struct NeedsExtra {
  SealedText note;
  std::uint64_t position = 0;
  template <class A>
  void io(A& a) {
    a(note, position);
  }
};

struct ApplicationExtra {
  std::uint64_t submitted_position = 0;
  std::uint64_t decided_position = 0;
  SealedText email;
  std::vector<std::string> knowledge_areas;
  SealedText rejection_reason;
  std::int64_t recorded_at_us = 0;  // when the submission was recorded (received_at may be earlier)
  std::vector<EvidenceLink> evidence;
  template <class A>
  void io(A& a) {
    a(submitted_position, decided_position, email, knowledge_areas, rejection_reason, recorded_at_us, evidence);
  }
};

struct MeetingRow {
  std::string id, title;
  std::int32_t date = 0;
  std::vector<std::string> pair_ids;
  std::uint64_t position = 0;
  template <class A>
  void io(A& a) {
    a(id, title, date, pair_ids, position);
  }
};

// One registration on a tour, not cancelled.
struct TourPerson {
  std::string kind;       // cluster_manager (a mentee), cluster_representative, network_manager
  std::string id;         // the mentee's id, or the participant id of another kind
  std::string mentee_id;  // empty for another kind
  SealedText name, organisation;
  std::string country;
  std::uint64_t position = 0;
  template <class A>
  void io(A& a) {
    a(kind, id, mentee_id, name, organisation, country, position);
  }
};

struct TourExtra {
  std::string region, host;
  std::int32_t start_date = 0, end_date = 0;
  std::vector<std::string> topics;  // the tour's own words
  std::vector<TourPerson> people;   // in the order registered
  template <class A>
  void io(A& a) {
    a(region, host, start_date, end_date, topics, people);
  }
};

// A programme's entities, in the order they appeared.
struct ProgrammeIndex {
  std::uint64_t opened_position = 0;
  std::vector<std::string> mentees, applications, mentors, pairs, invoices, tours;
  std::vector<MeetingRow> meetings;
  std::vector<SampleRow> samples;     // in the order drawn
  std::vector<std::string> findings;  // in the order recorded
  template <class A>
  void io(A& a) {
    a(opened_position, mentees, applications, mentors, pairs, invoices, tours, meetings, samples, findings);
  }
};

class ReadModels {
 public:
  // Folds the next event. REQUIRES: events are applied once each, in
  // position order from 1 (a checkpoint's models go on from its position).
  void apply(const EventView& e);
  // The models of one programme's events (a fold of that programme alone,
  // read/asof.h) move on to `position`, recorded at `recorded_at_us`
  // with `hash`, over the events of other programmes, which change nothing
  // that programme's views read. REQUIRES: position >= position().
  void pass(std::uint64_t position, std::int64_t recorded_at_us, const Hash& hash) {
    core_.pass(position, hash);
    recorded_at_us_ = recorded_at_us;
  }
  // As State::reserve, for these maps too.
  void reserve(std::uint64_t events);

  const State& core() const { return core_; }
  std::uint64_t position() const { return core_.position(); }

  // The vault the personal fields are opened with (not kept in checkpoints:
  // the models hold sealed fields only). Without one, every personal field
  // reads as kSealedText (an audit pack's models).
  void set_vault(const Vault* vault) { vault_ = vault; }
  const Vault* vault() const { return vault_; }
  // What a reader is shown of a personal field (Vault::text).
  std::string text(const SealedText& t) const;
  std::int64_t recorded_at_us() const { return recorded_at_us_; }

  template <typename T>
  using Map = State::Map<T>;
  const Map<PairExtra>& pairs() const { return pairs_; }
  const Map<InvoiceExtra>& invoices() const { return invoices_; }
  const Map<ApplicationExtra>& applications() const { return applications_; }
  const Map<ProgrammeIndex>& programmes() const { return programmes_; }
  const Map<TourExtra>& tours() const { return tours_; }
  const Map<NeedsExtra>& needs() const { return needs_; }
  const Map<std::vector<std::string>>& pairs_of_mentee() const { return pairs_of_mentee_; }
  const Map<std::vector<std::string>>& pairs_of_mentor() const { return pairs_of_mentor_; }
  // Every attachment of each document, by its SHA-256 (hex), in the order attached.
  const Map<std::vector<EvidenceLink>>& evidence() const { return evidence_; }
  const Map<FindingRow>& findings() const { return findings_; }

  template <class A>
  void io(A& a) {
    a(core_, recorded_at_us_, pairs_, invoices_, applications_, programmes_, tours_, pairs_of_mentee_, pairs_of_mentor_,
      needs_, evidence_, findings_);
  }

 private:
  State core_;
  std::int64_t recorded_at_us_ = 0;
  Map<PairExtra> pairs_;
  Map<InvoiceExtra> invoices_;
  Map<ApplicationExtra> applications_;
  Map<ProgrammeIndex> programmes_;
  Map<TourExtra> tours_;
  Map<std::vector<std::string>> pairs_of_mentee_;
  Map<std::vector<std::string>> pairs_of_mentor_;
  Map<NeedsExtra> needs_;
  Map<std::vector<EvidenceLink>> evidence_;
  Map<FindingRow> findings_;
  const Vault* vault_ = nullptr;
};

}  // namespace pl
