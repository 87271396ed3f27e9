// The views derived from the read models (read/fold.h, included): a pair's
// standing, row and line, the hours, the budget, a programme's counts, the
// net invoiced by month, the control of spending, the mentors suggested for a
// mentee and an application's row. Each is a pure function of the models, at
// the point in time the caller names. Defined in read/read_pairs.cc,
// read_money.cc, read_control.cc and read_models.cc.
//
// Thread safety: as reading the models they are given. What they return may
// point into the models (PairRow, PairLine, ApplicationRow, Suggestion):
// valid while the models live and no event is applied to them.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/checked.h"
#include "base/dates.h"
#include "read/fold.h"

namespace pl {

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
// programme's timeline, read/timeline.h). `mentee_used` and `mentee_net`
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
  std::string_view id, programme_id, mentor_id, mentor_country, mentee_id, country;
  std::string mentor_name, mentee_name, cluster_name, override_reason;  // opened (Vault::text)
  PairStanding standing;
  std::int32_t start_date = 0, end_date = 0, last_session_date = 0;  // last_session_date 0: none
  std::int64_t sessions = 0, minutes_used = 0, mentee_minutes_used = 0, minutes_left = 0;
  bool report_submitted = false;
  std::int64_t agreed_fee_cents = 0, invoiced_cents = 0, credited_cents = 0, paid_cents = 0, fee_left_cents = 0;
  const std::vector<std::string>* topics = nullptr;  // null: the pair has no extra (no "topics" key)
};
PairLine pair_line(const ReadModels& rm, const PairState& pair, std::int32_t today);

// A pair's own figures in its line: its state's, and the invoiced, credited
// and paid of its figures (pair_figures).
struct PairLineFigures {
  PairStatus status = PairStatus::active;
  bool report_submitted = false;
  std::int32_t start_date = 0, end_date = 0, last_session_date = 0;
  std::int64_t sessions = 0, minutes_used = 0, agreed_fee_cents = 0, net_invoiced_cents = 0;
  std::int64_t invoiced_cents = 0, credited_cents = 0, paid_cents = 0;
  bool operator==(const PairLineFigures&) const = default;
};
struct Figures;
PairLineFigures pair_line_figures(const PairState& pair, const Figures& f);
// What a pair's line is made of, wherever it is read from (the read models,
// or a programme's timeline): its ids, the texts of the people it names
// (empty for one unknown), what its assignment fixed (`topics` null: the pair
// has no extra), its own figures, its mentee's over every pair (without them,
// the pair's own count) and the programme's caps. The views point into where
// the facts were read.
struct PairFacts {
  std::string_view id, programme_id, mentor_id, mentee_id;
  std::string_view mentor_country, country;
  // The personal texts, sealed (null: none), and the vault that opens them.
  const SealedText *mentor_name = nullptr, *mentee_name = nullptr, *cluster_name = nullptr, *override_reason = nullptr;
  const Vault* vault = nullptr;
  const std::vector<std::string>* topics = nullptr;
  PairLineFigures own;
  bool has_mentee_figures = false;
  std::int64_t mentee_minutes_used = 0, mentee_net_invoiced_cents = 0;
  std::int64_t hour_cap_minutes = 0, fee_cap_cents = 0;
};
// The line of those facts as of `today`: pair_line() and the timeline's
// lines are made here.
PairLine assemble_pair_line(const PairFacts& facts, std::int32_t today);
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
// (read/timeline.h) both end here.
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
