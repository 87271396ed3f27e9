// A programme's budget and pairs view by position: their figures as prefix
// records, so that either as of any position is a pass over small records, not
// a load of the programme's models.
//
// The budget (read_models.h: budget, net_invoiced_by_month) is a sum over
// the programme's pairs of each pair's figures, and over its invoices of each
// invoice's month figure, grouped by mentee, mentor and country under the
// programme's rules. A timeline is made during a fold of the programme's
// events: after each event it recomputes, with the same functions the budget
// uses, the figures of the pair and invoice the event is about, and records
// them when they changed, with the event's position. It records likewise when
// a mentee or a mentor joins the programme's lists, when their names or
// countries change and when the programme's rules do. The budget as of X
// takes, for each pair and invoice, its last record at or before X, and
// assembles the lines as budget() does (assemble_budget). The tests compare
// it with budget() of the models at every position of random histories.
//
// The pairs view is kept alike: each pair's row figures (status, period,
// sessions, minutes, report, fee figures) are recorded when an event changes
// them, each mentee's minutes and net invoiced over all its pairs likewise,
// the names and countries of the people the pairs name by version, and the
// order in which the programme lists its pairs. The lines as of X are made of
// each listed pair's last records at or before X by assemble_pair_line(), for
// the day asked, which makes pair_line()'s from the models too; the tests
// compare the two at every position.
//
// Thread safety: observe() needs exclusive access; at() may be called from
// any number of threads while no one observes.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "read/read_models.h"

namespace pl {

class BudgetTimeline {
 public:
  explicit BudgetTimeline(std::string programme) : programme_(std::move(programme)) {}

  const std::string& programme() const { return programme_; }
  // The position up to which the programme's events have been observed: the
  // timeline answers any position up to it.
  std::uint64_t covers() const { return covers_; }
  // Records that every event of the programme up to `position` has been
  // observed (a fold that ended there).
  void cover(std::uint64_t position) { covers_ = std::max(covers_, position); }

  // After rm.apply(e), for each of the programme's events in order; `rm` is
  // the fold of the programme's events up to e.
  void observe(const ReadModels& rm, const EventView& e);

  // The budget (without explanations) and the net invoiced by month as of
  // `position` (at most covers()), as budget() and net_invoiced_by_month()
  // give them from the models as of there.
  struct Answer {
    Budget budget;
    std::vector<MonthFigure> months;
    bool known = false;  // the programme had been opened by then
  };
  Answer at(std::uint64_t position) const;

  // The lines of the programme's pairs view as of `position` (at most
  // covers()) and `today`, in the view's order, those `keep` accepts: as
  // pair_line() gives them from the models as of there. The lines point into
  // the timeline: use them before it observes again.
  struct PairsAnswer {
    std::vector<PairLine> lines;
    bool known = false;  // the programme had been opened by then
  };
  PairsAnswer pairs_at(std::uint64_t position, std::int32_t today,
                       const std::function<bool(const PairLine&)>& keep = {}) const;

  // Records held, for the benchmark's figures.
  std::size_t records() const {
    return pair_records_.size() + invoice_records_.size() + row_records_.size() + person_records_.size();
  }

 private:
  struct Party {  // a mentee or a mentor, in the order it joined the programme's list
    std::uint64_t since = 0;
    std::string key;
    // (position, name, country), in position order: the first when it joined.
    struct Version {
      std::uint64_t since;
      bool known;  // the state held an entity of that id
      SealedText name;
      std::string country;
    };
    std::vector<Version> versions;
  };
  struct PairRef {
    std::uint64_t since = 0;
    std::int32_t mentee = -1, mentor = -1;  // party indexes; -1: not in the lists
    std::string mentee_id, mentor_id;
    Figures last;  // its last record's
    // For the pairs view: its id and what its assignment fixed, the people it
    // names (person indexes), its last row record's index (-1: none).
    std::string id;
    bool has_extra = false;
    std::uint64_t extra_since = 0;
    SealedText override_reason;
    std::vector<std::string> topics;
    std::int32_t mentee_person = -1, mentor_person = -1;
    std::int64_t last_row = -1;
  };
  // A pair's own figures in the pairs view, as of a record.
  using Row = PairLineFigures;
  struct RowRecord {
    std::uint64_t position;
    std::uint32_t pair;
    Row row;
  };
  // A mentee or mentor the programme's pairs name (by id, whether or not in
  // the programme's lists): its texts by version, and a mentee's figures
  // over every pair.
  struct Person {
    struct Text {
      std::uint64_t since = 0;
      bool known = false;
      SealedText name, cluster_name;
      std::string country;
      bool operator==(const Text& o) const {
        return known == o.known && name == o.name && cluster_name == o.cluster_name && country == o.country;
      }
    };
    std::string id;
    std::vector<Text> texts;
    std::int64_t minutes_used = 0, net_invoiced_cents = 0;  // the last record's
    bool recorded = false;
  };
  struct PersonRecord {
    std::uint64_t position;
    std::uint32_t person;
    std::int64_t minutes_used, net_invoiced_cents;
  };
  struct PairRecord {
    std::uint64_t position;
    std::uint32_t pair;
    Figures f;
  };
  struct InvoiceRecord {
    std::uint64_t position;
    std::uint32_t invoice;
    bool counted;         // not cancelled
    std::uint32_t month;  // an index into months_
    std::int64_t cents;
  };
  struct RulesRecord {
    std::uint64_t position;
    std::int64_t fee_cap_cents;
    std::int32_t cofunding_bp;
    bool vat_eligible;
    std::int64_t hour_cap_minutes;
  };

  void update_party(std::vector<Party>& list, std::unordered_map<std::string, std::int32_t>& index,
                    const std::string& id, std::uint64_t position, bool known, const SealedText& name,
                    const std::string& country);
  void update_pair(const ReadModels& rm, const std::string& id, std::uint64_t position);
  void update_invoice(const ReadModels& rm, const std::string& id, std::uint64_t position);
  // The person of `id` (made if new); its text and, for a mentee, figures
  // recorded when they changed.
  std::uint32_t person(const std::string& id);
  void update_mentee(const ReadModels& rm, std::uint32_t p, std::uint64_t position);
  void update_mentor(const ReadModels& rm, std::uint32_t p, std::uint64_t position);
  void update_text(Person& who, Person::Text t);

  std::string programme_;
  const Vault* vault_ = nullptr;  // the read models' (observe): it opens the names
  std::uint64_t covers_ = 0;
  std::uint64_t known_since_ = 0;  // the first position with the programme opened
  std::vector<RulesRecord> rules_;
  std::vector<Party> mentees_, mentors_;
  std::unordered_map<std::string, std::int32_t> mentee_index_, mentor_index_;
  std::vector<PairRef> pairs_;
  // Pairs whose mentee or mentor has not joined the programme's lists yet.
  std::unordered_map<std::string, std::vector<std::uint32_t>> waiting_mentee_, waiting_mentor_;
  std::unordered_map<std::string, std::uint32_t> pair_index_;
  std::unordered_map<std::string, std::uint32_t> invoice_index_;
  std::vector<InvoiceRecord> invoice_last_;  // each invoice's last record
  std::vector<PairRecord> pair_records_;
  std::vector<InvoiceRecord> invoice_records_;
  // The months the invoices name, each once.
  std::vector<std::string> months_;
  std::unordered_map<std::string, std::uint32_t> month_index_;
  // The pairs view: the pairs in the order the programme lists them (the
  // position each joined the list, its PairRef), their rows, the people.
  std::vector<std::pair<std::uint64_t, std::uint32_t>> pair_order_;
  std::vector<RowRecord> row_records_;
  std::vector<Person> people_;
  std::unordered_map<std::string, std::uint32_t> person_index_;
  std::vector<PersonRecord> person_records_;
  // Entries of pair_order_ whose pair had no state when listed, by id.
  std::unordered_map<std::size_t, std::string> unlisted_;
};

}  // namespace pl
