// The read models: what coordinators, finance staff and auditors ask for.
//
// ReadModels is one pure fold, apply(event), over the whole log. It holds the
// write-side State (domain/state.h) — so "hours used", "agreed" and "net
// invoiced" have the single definition the writer's checks use — plus what
// only readers need: each session's summary and void reason, each invoice's
// movements with the positions they came from, and per-programme indexes in
// the order entities appeared. Every read is answered from these alone; none
// goes back to the store. The views (pairs, hours, budget, applications) are derived from it
// by the functions below, at the point in time the caller names; nothing else
// changes it. Equal histories give equal bytes (archive_bytes), which is what
// checkpoints store and what the tests compare.
//
// Thread safety: a ReadModels that no one applies to may be read from any
// number of threads at once (the projector's published snapshots are such);
// apply() needs exclusive access. References and pointers returned by the
// accessors and the views (PairRow, ApplicationRow) point into the
// ReadModels: valid while it lives and no event is applied to it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/archive.h"
#include "base/checked.h"
#include "base/dates.h"
#include "domain/state.h"

namespace pl {

// Bump when apply() or the layout of ReadModels changes: a checkpoint written
// by another version is ignored and the models are rebuilt from position 1.
inline constexpr std::uint32_t kReadModelsVersion = 8;

// The texts of one session, which the write-side State does not keep.
struct SessionText {
  std::string summary;      // as logged
  std::string void_reason;  // empty while the session is not voided
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
  std::string sha256, kind, filename, content_type, note;
  std::int64_t size = 0;
  std::uint64_t position = 0;
  std::int64_t recorded_at_us = 0;
  std::string recorded_by;
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
  std::string by;  // the actor's name
  template <class A>
  void io(A& a) {
    a(position, at_us, by);
  }
};

struct PairExtra {
  std::uint64_t assigned_position = 0;
  std::uint64_t ended_position = 0;              // PairCompleted or PairTerminated
  std::int32_t assigned_day = 0, ended_day = 0;  // the days (UTC) they were recorded
  std::string end_reason;
  std::string override_reason;  // why the topics depart from the diagnosis; empty: they do not
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
  std::string reason;
  std::int64_t vat_cents = 0;
  template <class A>
  void io(A& a) {
    a(position, id, date, cents, reason, vat_cents);
  }
};

// The last ExpenditureVerified of an invoice.
struct VerificationRow {
  std::int64_t certified_cents = 0, deducted_cents = 0;
  std::string error_type, note, sample_id;
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
  std::string id, finding_id, invoice_id, reason;
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
  std::string cancel_reason;
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
  std::string id, source, invoice_id, error_type, description;
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
  std::string note;
  std::uint64_t position = 0;
  template <class A>
  void io(A& a) {
    a(note, position);
  }
};

struct ApplicationExtra {
  std::uint64_t submitted_position = 0;
  std::uint64_t decided_position = 0;
  std::string email;
  std::vector<std::string> knowledge_areas;
  std::string rejection_reason;
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
  std::string name, organisation, country;
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
};

// ---- Views derived from the read models ----

// The warnings of a pair as of `today` (active pairs only): its period ends
// within 30 days with more than 8h of the mentee's cap unused; no session for
// 60 days; the mentee's hours or fee above 90% of the cap.
inline constexpr std::int32_t kEndingSoonDays = 30;
inline constexpr std::int64_t kUnusedMinutesWarning = 8 * 60;
inline constexpr std::int32_t kIdleDays = 60;
inline constexpr std::int64_t kNearCapPercent = 90;

struct PairRow {
  const PairState* pair = nullptr;
  const PairExtra* extra = nullptr;      // null if the read models have none
  const MenteeState* mentee = nullptr;   // null if the mentee is unknown
  const MentorState* mentor = nullptr;   // null if the mentor is unknown
  std::string status;                    // assigned, active, completed, terminated
  std::int64_t sessions = 0;             // not voided
  std::int64_t mentee_minutes_left = 0;  // of the mentee's hour cap, every pair counted
  std::int64_t invoiced_cents = 0;       // net of cancelled invoices, before credit notes
  std::int64_t credited_cents = 0;
  std::int64_t paid_cents = 0;
  std::int64_t fee_left_cents = 0;  // agreed less net invoiced
  std::vector<std::string> warnings;
};
// The row of `pair` (one of rm.core().pairs()) as of `today`.
PairRow pair_row(const ReadModels& rm, const PairState& pair, std::int32_t today);

// A pair's status as the views name it, and its warnings, as of `today`: what
// pair_row() gives, from plain figures (a pair's row is also answered from a
// programme's timeline, budget_timeline.h). `mentee_used` and `mentee_net`
// are the mentee's (every pair), or the pair's when the mentee is unknown.
struct PairStanding {
  std::string_view status;
  std::array<std::string_view, 4> warnings{};
  std::size_t warning_count = 0;
};
PairStanding pair_standing(PairStatus status, std::int32_t start_date, std::int32_t end_date,
                           std::int32_t last_session_date, std::int32_t today, std::int64_t hour_cap_minutes,
                           std::int64_t fee_cap_cents, std::int64_t mentee_used, std::int64_t mentee_net);

// A pair's line in a programme's pairs view (GET /v1/programmes/{pid}/pairs),
// as plain values: what pair_json() gives without `detail`. The views point
// into what made the line (the read models, or a timeline), which must outlive
// it.
struct PairLine {
  std::string_view id, programme_id, mentor_id, mentor_name, mentor_country, mentee_id, mentee_name, cluster_name,
      country, override_reason;
  PairStanding standing;
  std::int32_t start_date = 0, end_date = 0, last_session_date = 0;  // last_session_date 0: none
  std::int64_t sessions = 0, minutes_used = 0, mentee_minutes_used = 0, minutes_left = 0;
  bool report_submitted = false;
  std::int64_t agreed_fee_cents = 0, invoiced_cents = 0, credited_cents = 0, paid_cents = 0, fee_left_cents = 0;
  const std::vector<std::string>* topics = nullptr;  // null: the pair has no extra (no "topics" key)
};
PairLine pair_line(const ReadModels& rm, const PairState& pair, std::int32_t today);
// The lines of every pair the programme lists, in its order.
std::vector<PairLine> pair_lines(const ReadModels& rm, const std::string& programme_id, std::int32_t today);

// A session's contribution to an hours total.
struct HoursEntry {
  std::uint64_t position = 0;  // of the SessionLogged
  std::int32_t date = 0;
  std::string pair_id, session_id;
  std::int64_t minutes = 0;
};
struct HoursGroup {
  std::string key;
  std::int64_t minutes = 0;
  std::int64_t sessions = 0;
  std::vector<HoursEntry> explain;  // filled only when asked
};
enum class HoursBy { mentee, mentor, pair, month, topic, mode, format };
// "mentee", "mentor", ...; nullopt for any other name.
std::optional<HoursBy> parse_hours_by(std::string_view s);
// Minutes of the sessions not voided, by key, in key order. A session with
// several topics counts under each of them. Empty for an unknown programme.
// With `explain`, each group lists the sessions it sums.
std::vector<HoursGroup> hours(const ReadModels& rm, const std::string& programme_id, HoursBy by, bool explain = false);

// The budget. Figures in cents:
//   agreed    fees of pairs not terminated
//   invoiced  net of invoices not cancelled
//   credited  credit notes on invoices not cancelled
//   paid      payments
// net invoiced = invoiced - credited (what counts against the fee cap),
// outstanding = net invoiced - paid, left = cap - net invoiced. All of these
// are VAT excluded; the VAT of the same invoices, credit notes and payments
// is counted apart (vat_*). The eligible cost, on which the EU share is
// computed, is the net invoiced plus, where the programme's rules make VAT
// eligible, the VAT invoiced less the VAT credited.
//
// The control of spending (of invoices not cancelled, VAT excluded):
// (an invoice whose verification a credit note made stale counts in none of
// them until it is verified again)
//   verified   the net invoiced of the verified invoices, as verified
//   certified  what their last verifications certified, less the financial
//              corrections applied since (each correction is an entry)
//   deducted   what those verifications deducted
//   corrected  the financial corrections
struct Figures {
  std::int64_t agreed = 0, invoiced = 0, credited = 0, paid = 0;
  std::int64_t vat_invoiced = 0, vat_credited = 0, vat_paid = 0;
  std::int64_t verified = 0, certified = 0, deducted = 0, corrected = 0;
  Figures& operator+=(const Figures& o);
  bool operator==(const Figures&) const = default;
  std::int64_t net() const { return sat_sub(invoiced, credited); }
  std::int64_t vat_net() const { return sat_sub(vat_invoiced, vat_credited); }
  std::int64_t eligible(bool vat_eligible) const { return vat_eligible ? sat_add(net(), vat_net()) : net(); }
};
struct Explain {
  std::vector<Entry> agreed, invoiced, credited, paid, vat_invoiced, vat_credited, vat_paid;
  std::vector<Entry> verified, certified, deducted, corrected;
  void append(const Explain& o);
};
struct BudgetLine {
  std::string key;  // mentee id, mentor id, or country code
  std::string name;
  std::string country;
  Figures f;
  std::int64_t eu_share_cents = 0;
  std::int64_t certified_eu_share_cents = 0;  // the EU share of the certified expenditure
  Explain explain;                            // filled only when asked
};
struct Budget {
  std::int64_t fee_cap_cents = 0;
  std::int32_t cofunding_bp = 0;
  bool vat_eligible = false;
  Figures totals;
  std::int64_t eu_share_cents = 0, own_share_cents = 0;
  std::int64_t certified_eu_share_cents = 0;
  // Sum of the per-mentee EU shares, and how far below the programme's it
  // falls because each mentee's share is rounded down on its own (between 0
  // and one cent per mentee with a share).
  std::int64_t mentee_eu_share_sum_cents = 0, rounding_difference_cents = 0;
  Explain explain;
  std::vector<BudgetLine> mentees, mentors, countries;
};
// The EU co-funded share of an eligible cost: cost × bp / 10000 rounded down
// to the cent (towards zero); the own share is the rest, so the two always
// add up.
std::int64_t eu_share(std::int64_t net_cents, std::int32_t cofunding_bp);
// A programme's budget; the Explain lists are filled only with `explain`.
// All zeros and no lines for an unknown programme.
Budget budget(const ReadModels& rm, const std::string& programme_id, bool explain);
// A budget from its lines: the mentee lines and the mentor lines, each with
// its key, name, country and figures (and, with `explain`, their entries),
// under the programme's rules. Fills each line's EU shares, the countries
// (from the mentee lines) and the totals. budget() and the budget timeline
// (budget_timeline.h) both end here.
Budget assemble_budget(std::int64_t fee_cap_cents, std::int32_t cofunding_bp, bool vat_eligible,
                       std::vector<BudgetLine> mentees, std::vector<BudgetLine> mentors, bool explain);

// One pair's figures, with the events they were summed from in `ex` when
// it is not null.
struct Figures;
struct Explain;
Figures pair_figures(const ReadModels& rm, const PairState& pair, Explain* ex);

// One mentee's figures (every pair it ever had); its Explain only with
// `explain`.
BudgetLine mentee_budget(const ReadModels& rm, const MenteeState& mentee, bool explain);

// A programme's counts, as GET /v1/programmes/{pid} shows them.
struct ProgrammeCounts {
  std::int64_t mentees = 0, applications = 0, mentors = 0, pairs = 0, pairs_active = 0, sessions = 0, minutes = 0,
               invoices = 0, tours = 0, joint_meetings = 0;
};
// nullopt when the read models know no such programme.
std::optional<ProgrammeCounts> programme_counts(const ReadModels& rm, const std::string& programme_id);

// Net invoiced per month of issue ("YYYY-MM", in order): cancelled invoices
// left out, credit notes counted in their invoice's month. Empty for an
// unknown programme.
struct MonthFigure {
  std::string month;
  std::int64_t net_invoiced_cents = 0;
};
std::vector<MonthFigure> net_invoiced_by_month(const ReadModels& rm, const std::string& programme_id);
// One invoice's part of those: its month of issue and its net less what was
// credited; nullopt for a cancelled invoice, which counts in no month.
std::optional<MonthFigure> invoice_month_figure(const InvoiceState& invoice);

// ---- The control of spending

// What the programme's rules (evidence_required, "step:kind") ask for and no
// attached document gives: one row per entity and missing kind.
//   invoice     each invoice not cancelled: a document of the kind on the invoice
//   payment     each invoice not cancelled with a payment: likewise
//   completion  each completed pair: on the pair
//   session     each session not voided: on the session
//   application each accepted application: on the application
struct EvidenceGap {
  std::string step, kind, entity, entity_id, session_id, pair_id, mentee_id;
  std::uint64_t position = 0;  // of the event that made the step (issued, first payment, completed, ...)
};
std::vector<EvidenceGap> evidence_gaps(const ReadModels& rm, const std::string& programme_id);

// Entries an auditor looks at twice:
//   session_late                 a session recorded more than `days` days after its date
//   application_after_deadline   received before the deadline, recorded after it
//   payment_before_invoice       a payment dated before its invoice's issue date
//   invoice_before_first_session an invoice (not cancelled) dated before its pair's first
//                                session not voided, or with no such session
struct LateEntry {
  std::string type, entity, entity_id, pair_id;
  std::int32_t date = 0;  // the business date (session, payment or issue date; an application's receipt day)
  std::int64_t recorded_at_us = 0;
  std::int64_t days_late = 0;  // session_late: days between the date and the recording day
  std::uint64_t position = 0;
  std::string detail;
};
std::vector<LateEntry> late_entries(const ReadModels& rm, const std::string& programme_id, std::int32_t days);

// How long a programme's documents are kept: until 31 December of the year
// of its last payment plus the rule retention_years. Zeros while nothing is paid.
struct Retention {
  std::int32_t last_payment_date = 0, retain_until = 0;
  std::int32_t years = 0;
};
Retention retention(const ReadModels& rm, const std::string& programme_id);

// The accepted mentors of a mentee's programme, ranked for it. The score is
// the sum of its parts, each given with the reason for it:
//   needs    kNeedPoints for each of the mentee's needs the mentor offers
//   load     kLoadPoints (negative) for each active pair the mentor has
//   country  kOtherCountryPoints when the mentor is from another country
//            than the mentee (the programme pairs peers across borders)
// Best first: higher score, then fewer active pairs, then mentor id.
inline constexpr std::int64_t kNeedPoints = 10, kLoadPoints = -4, kOtherCountryPoints = 1;
struct ScorePart {
  std::string name;  // needs, load, country
  std::int64_t points = 0;
  std::string why;
};
struct Suggestion {
  const MentorState* mentor = nullptr;
  std::string organisation;
  std::vector<std::string> offered, matched;
  std::int64_t active_pairs = 0;
  std::int64_t score = 0;
  std::vector<ScorePart> parts;
};
std::vector<Suggestion> mentor_suggestions(const ReadModels& rm, const MenteeState& mentee);

struct ApplicationRow {
  const ApplicationState* app = nullptr;
  const ApplicationExtra* extra = nullptr;  // null if the read models have none
  bool eligible = true;
  std::vector<std::string> reasons;  // why not, under the rules now in force
};
// The row of `app` (one of rm.core().applications()). Eligible, with no
// reasons, when its programme is unknown.
ApplicationRow application_row(const ReadModels& rm, const ApplicationState& app);

}  // namespace pl
