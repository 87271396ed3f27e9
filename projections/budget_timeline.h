// A programme's budget by position: its figures as prefix records, so that the
// budget as of any position is a pass over small records, not a load of the
// programme's models.
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
// Thread safety: observe() needs exclusive access; at() may be called from
// any number of threads while no one observes.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "projections/read_models.h"

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

  // Records held, for the benchmark's figures.
  std::size_t records() const { return pair_records_.size() + invoice_records_.size(); }

 private:
  struct Party {  // a mentee or a mentor, in the order it joined the programme's list
    std::uint64_t since = 0;
    std::string key;
    // (position, name, country), in position order: the first when it joined.
    struct Version {
      std::uint64_t since;
      bool known;  // the state held an entity of that id
      std::string name, country;
    };
    std::vector<Version> versions;
  };
  struct PairRef {
    std::uint64_t since = 0;
    std::int32_t mentee = -1, mentor = -1;  // party indexes; -1: not in the lists
    std::string mentee_id, mentor_id;
    Figures last;  // its last record's
  };
  struct PairRecord {
    std::uint64_t position;
    std::uint32_t pair;
    Figures f;
  };
  struct InvoiceRecord {
    std::uint64_t position;
    std::uint32_t invoice;
    bool counted;  // not cancelled
    std::string month;
    std::int64_t cents;
  };
  struct RulesRecord {
    std::uint64_t position;
    std::int64_t fee_cap_cents;
    std::int32_t cofunding_bp;
    bool vat_eligible;
  };

  void update_party(std::vector<Party>& list, std::unordered_map<std::string, std::int32_t>& index,
                    const std::string& id, std::uint64_t position, bool known, const std::string& name,
                    const std::string& country);
  void update_pair(const ReadModels& rm, const std::string& id, std::uint64_t position);
  void update_invoice(const ReadModels& rm, const std::string& id, std::uint64_t position);

  std::string programme_;
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
};

}  // namespace pl
