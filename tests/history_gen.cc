#include "history_gen.h"

#include <iterator>

#include "programme_spec.h"

namespace pl::test {
namespace {
const char* kTopics[] = {"strategy", "governance", "service portfolio", "internationalisation"};
const char* kMenteeCountries[] = {"DZ", "EG", "JO", "LB", "MA", "PS", "TN"};
const char* kMentorCountries[] = {"FR", "IT", "ES", "BE"};
constexpr std::int64_t kDay = 86'400'000'000LL;
}  // namespace

Rules lifecycle_rules(std::int64_t deadline_us) {
  ProgrammeSpec spec = booster_track_2019();
  spec.knowledge_areas.push_back("internationalisation");
  Rules r = programme_rules(spec);
  r.application_deadline_us = deadline_us;
  return r;
}

RandomHistory::RandomHistory(std::uint64_t seed, int invalid_percent) : rng_(seed), invalid_percent_(invalid_percent) {}

std::int64_t RandomHistory::pick(std::int64_t lo, std::int64_t hi) {
  return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng_);
}
bool RandomHistory::chance(int percent) { return pick(0, 99) < percent; }
std::string RandomHistory::fresh(const char* prefix) { return prefix + std::to_string(++counter_); }

template <typename M>
const typename M::mapped_type* RandomHistory::any(const M& m) {
  if (m.empty()) return nullptr;
  // Unordered maps iterate in an order that depends on the library, not on
  // the seed; pick by sorted id so a seed always gives the same history.
  std::vector<const std::string*> ids;
  ids.reserve(m.size());
  for (auto& [k, v] : m) ids.push_back(&k);
  std::sort(ids.begin(), ids.end(), [](auto* a, auto* b) { return *a < *b; });
  return &m.at(*ids[static_cast<std::size_t>(pick(0, static_cast<std::int64_t>(ids.size()) - 1))]);
}

Rules RandomHistory::rules() {
  Rules r = lifecycle_rules(0);
  r.hour_cap_minutes = pick(8, 40) * 60;
  r.fee_cap_cents = pick(1000, 5000) * 100 + pick(0, 99);
  r.cofunding_bp = static_cast<std::int32_t>(pick(5000, 10000));
  r.max_tours_per_mentee = static_cast<std::int32_t>(pick(1, 3));
  return r;
}

AnyCommand RandomHistory::next(const State& s, std::int64_t now_us) {
  const bool wrong = chance(invalid_percent_);
  const std::int32_t today = static_cast<std::int32_t>(now_us / kDay);
  const std::string unknown = "nope";

  if (s.programmes().empty() || chance(2)) {
    Rules r = rules();
    r.application_deadline_us = now_us + kDay * pick(wrong ? -30 : 30, 400);
    return OpenProgramme{fresh("prog"), "Programme", "Coordinator", r};
  }
  const ProgrammeState* prog = any(s.programmes());

  switch (pick(0, 19)) {
    case 19: {  // close a programme whose pairs have all ended, or try to
      bool active = false;
      int ended = 0;
      for (auto& [id, p] : s.pairs())
        if (p.programme_id == prog->id) {
          if (p.status == PairStatus::active)
            active = true;
          else
            ++ended;
        }
      if ((active || ended < 3) && !wrong) break;
      return CloseProgramme{prog->id, today, "the edition is over"};
    }
    case 18: {
      const MenteeState* m = any(s.mentees());
      if (!m || !chance(40)) break;
      return WithdrawMentee{m->id, today, "changed jobs"};
    }
    case 17: {  // benchmarking tours
      const MenteeState* m = any(s.mentees());
      if (!s.tours().empty() && m && chance(80)) {
        const TourState* t = any(s.tours());
        if (!t->participants.empty() && chance(40)) {
          auto it = t->participants.begin();
          std::advance(it, pick(0, static_cast<std::int64_t>(t->participants.size()) - 1));
          return CancelTourParticipant{t->id, *it, "cannot travel"};
        }
        return RegisterTourParticipant{t->id, m->id};
      }
      return ScheduleTour{prog->id, fresh("t"), "Catalonia", "Host", today + 10, today + 13, {kTopics[0]}};
    }
    case 0: {  // amend: caps only ever grow, so the invariants hold under the rules in force
      Rules r = prog->rules;
      r.hour_cap_minutes += pick(0, 4) * 60;
      r.fee_cap_cents += pick(0, 500) * 100;
      r.cofunding_bp = static_cast<std::int32_t>(pick(5000, 10000));
      return AmendRules{prog->id, r, "amended"};
    }
    case 1:
    case 2: {
      std::string country = kMenteeCountries[pick(0, 6)];
      if (wrong) country = "US";
      return EnrolMentee{prog->id, fresh("m"), "Manager", "Cluster", "agrifood", country, "https://example.org"};
    }
    case 3:
    case 4: {
      SubmitApplication a;
      a.programme_id = prog->id;
      a.id = fresh("a");
      a.applicant_name = "Mentor";
      a.organisation = "Cluster Europe";
      a.email = "m@example.org";
      a.country = wrong && chance(50) ? "US" : kMentorCountries[pick(0, 3)];
      a.profile = chance(50) ? fb::Profile::expert : fb::Profile::cluster_manager;
      a.years_experience = static_cast<std::int32_t>(pick(wrong ? 0 : 5, 20));
      a.knowledge_areas = {kTopics[pick(0, 3)]};
      a.quotation_cents = pick(500, wrong ? 9000 : 3000) * 100;
      return a;
    }
    case 5: {
      const ApplicationState* a = any(s.applications());
      if (!a) break;
      if (chance(80)) return AcceptApplication{a->id, fresh("e")};
      return RejectApplication{a->id, "not this time"};
    }
    case 6:
    case 7: {  // assign
      const MenteeState* m = any(s.mentees());
      const MentorState* e = any(s.mentors());
      if (!m || !e) break;
      const ProgrammeState* p = State::find(s.programmes(), m->programme_id);
      if (!p) break;
      AssignPair a;
      a.programme_id = m->programme_id;
      a.id = fresh("p");
      a.mentor_id = e->id;
      a.mentee_id = wrong && chance(30) ? unknown : m->id;
      a.start_date = today - static_cast<std::int32_t>(pick(0, 60));
      std::int32_t months =
          static_cast<std::int32_t>(pick(wrong ? 1 : p->rules.min_months, wrong ? 20 : p->rules.max_months));
      a.end_date = a.start_date + months * 30 + 1;
      a.agreed_fee_cents = std::min(e->quotation_cents, p->rules.fee_cap_cents) - pick(0, 1000);
      if (wrong) a.agreed_fee_cents += pick(1, 100000);
      a.topics = {kTopics[pick(0, 3)]};
      return a;
    }
    default:
      break;
  }

  const PairState* pr = any(s.pairs());
  if (!pr) return EnrolMentee{prog->id, fresh("m"), "Manager", "Cluster", "agrifood", "TN", "https://example.org"};
  switch (pick(0, 15)) {
    case 0:
    case 1:
    case 2:
    case 3:
    case 4:
    case 5: {
      LogSession l;
      l.pair_id = wrong && chance(20) ? unknown : pr->id;
      l.id = fresh("s");
      std::int32_t span = std::max(0, pr->end_date - pr->start_date);
      l.date = pr->start_date + static_cast<std::int32_t>(pick(0, span));
      l.date = std::min(l.date, today + 1);  // logged once held (a day of grace: future_date)
      if (wrong && chance(50)) l.date = pr->end_date + static_cast<std::int32_t>(pick(1, 50));
      l.minutes = pick(wrong ? -30 : 15, wrong ? 2000 : 240);
      l.mode = chance(50) ? fb::Mode::remote : fb::Mode::in_person;
      l.format = chance(70) ? fb::Format::bilateral : fb::Format::group;
      l.topics = {kTopics[pick(0, 3)]};
      if (chance(30)) l.topics.push_back(kTopics[pick(0, 3)]);
      l.summary = "Worked together.";
      return l;
    }
    case 6: {
      if (pr->sessions.empty()) break;
      const SessionState& sess =
          pr->sessions[static_cast<std::size_t>(pick(0, static_cast<std::int64_t>(pr->sessions.size()) - 1))];
      return VoidSession{pr->id, sess.id, "logged twice"};
    }
    case 7:
      return SubmitReport{pr->id, wrong ? "fr" : "en", {kTopics[0]}, "Progress.", "Outcomes."};
    case 8:
      if (chance(60)) return CompletePair{pr->id};
      return TerminatePair{pr->id, "the mentee left"};
    case 9:
    case 10:
    case 11: {
      std::int64_t left = pr->agreed_fee_cents - pr->net_invoiced_cents;
      std::int64_t net = left > 0 ? pick(1, left) : pick(1, 100000);
      if (wrong) net += pick(1, 200000);
      return IssueInvoice{pr->id, fresh("i"), fresh("INV-"), today, net, net / 5};
    }
    default:
      break;
  }
  const InvoiceState* inv = any(s.invoices());
  if (!inv) return ChangePairPeriod{pr->id, pr->end_date + static_cast<std::int32_t>(pick(-20, 20)), "moved"};
  switch (pick(0, 6)) {
    case 0:
    case 1:
    case 2:
    case 3: {
      std::int64_t due = inv->due_cents();
      std::int64_t amount = due > 0 ? pick(1, due) : pick(1, 1000);
      if (wrong) amount = due + pick(1, 1000);
      return PayInvoice{inv->id, today, amount};
    }
    case 4:
      return CancelInvoice{inv->id, "wrong amount"};
    case 5: {
      std::int64_t room = inv->net_cents - inv->credited_cents - inv->paid_cents;
      std::int64_t amount = room > 0 ? pick(1, room) : pick(1, 1000);
      return IssueCreditNote{inv->id, fresh("cn"), amount, "discount"};
    }
    default:
      return HoldJointMeeting{prog->id, fresh("jm"), today, "Joint meeting", {pr->id}};
  }
}

}  // namespace pl::test
