#include "read/timeline.h"

#include <algorithm>
#include <optional>

namespace pl {

namespace {

template <class T>
const T* find(const State::Map<T>& m, std::string_view id) {
  return State::find(m, id);
}

// The last element of a position-ordered list at or before `position`.
template <class V, class Pos>
auto last_at(const V& list, std::uint64_t position, Pos pos) -> decltype(&list.front()) {
  auto it = std::upper_bound(list.begin(), list.end(), position,
                             [&](std::uint64_t p, const auto& item) { return p < pos(item); });
  return it == list.begin() ? nullptr : &*std::prev(it);
}

}  // namespace

void BudgetTimeline::update_party(std::vector<Party>& list, std::unordered_map<std::string, std::int32_t>& index,
                                  const std::string& id, std::uint64_t position, bool known, const SealedText& name,
                                  const std::string& country) {
  auto it = index.find(id);
  if (it == index.end()) return;
  Party& p = list[static_cast<std::size_t>(it->second)];
  const Party::Version& v = p.versions.back();
  if (v.known == known && v.name == name && v.country == country) return;
  p.versions.push_back({position, known, name, country});
}

void BudgetTimeline::update_pair(const ReadModels& rm, const std::string& id, std::uint64_t position) {
  const PairState* pr = find(rm.core().pairs(), id);
  if (!pr) return;
  auto [it, fresh] = pair_index_.try_emplace(id, static_cast<std::uint32_t>(pairs_.size()));
  if (fresh) {
    PairRef ref;
    ref.since = position;
    ref.mentee_id = pr->mentee_id;
    ref.mentor_id = pr->mentor_id;
    if (auto m = mentee_index_.find(pr->mentee_id); m != mentee_index_.end())
      ref.mentee = m->second;
    else
      waiting_mentee_[pr->mentee_id].push_back(it->second);
    if (auto m = mentor_index_.find(pr->mentor_id); m != mentor_index_.end())
      ref.mentor = m->second;
    else
      waiting_mentor_[pr->mentor_id].push_back(it->second);
    pairs_.push_back(std::move(ref));
  }
  PairRef& ref = pairs_[it->second];
  if (fresh) {
    ref.id = id;
    ref.mentee_person = static_cast<std::int32_t>(person(pr->mentee_id));
    ref.mentor_person = static_cast<std::int32_t>(person(pr->mentor_id));
  }
  if (!ref.has_extra)
    if (const PairExtra* x = find(rm.pairs(), id)) {
      ref.has_extra = true;
      ref.extra_since = position;
      ref.override_reason = x->override_reason;
      ref.topics = x->topics;
    }
  Figures f = pair_figures(rm, *pr, nullptr);
  // The pair's row, and the people it names.
  const Row row = pair_line_figures(*pr, f);
  if (ref.last_row < 0 || !(row_records_[static_cast<std::size_t>(ref.last_row)].row == row)) {
    ref.last_row = static_cast<std::int64_t>(row_records_.size());
    row_records_.push_back({position, it->second, row});
  }
  update_mentee(rm, static_cast<std::uint32_t>(ref.mentee_person), position);
  update_mentor(rm, static_cast<std::uint32_t>(ref.mentor_person), position);
  if (!fresh && f == ref.last) return;
  ref.last = f;
  pair_records_.push_back({position, it->second, f});
}

std::uint32_t BudgetTimeline::person(const std::string& id) {
  auto [it, fresh] = person_index_.try_emplace(id, static_cast<std::uint32_t>(people_.size()));
  if (fresh) {
    Person p;
    p.id = id;
    people_.push_back(std::move(p));
  }
  return it->second;
}

void BudgetTimeline::update_text(Person& who, Person::Text t) {
  if (!who.texts.empty() && who.texts.back() == t) return;
  who.texts.push_back(std::move(t));
}

void BudgetTimeline::update_mentee(const ReadModels& rm, std::uint32_t p, std::uint64_t position) {
  Person& who = people_[p];
  const MenteeState* m = find(rm.core().mentees(), who.id);
  if (!m) return update_text(who, Person::Text{position, false, {}, {}, {}});
  update_text(who, Person::Text{position, true, m->name, m->cluster_name, m->country});
  if (who.recorded && who.minutes_used == m->minutes_used && who.net_invoiced_cents == m->net_invoiced_cents) return;
  who.recorded = true;
  who.minutes_used = m->minutes_used;
  who.net_invoiced_cents = m->net_invoiced_cents;
  person_records_.push_back({position, p, m->minutes_used, m->net_invoiced_cents});
}

void BudgetTimeline::update_mentor(const ReadModels& rm, std::uint32_t p, std::uint64_t position) {
  Person& who = people_[p];
  const MentorState* m = find(rm.core().mentors(), who.id);
  Person::Text t;
  t.since = position;
  t.known = m != nullptr;
  if (m) {
    t.name = m->name;
    t.country = m->country;
  }
  update_text(who, std::move(t));
}

void BudgetTimeline::update_invoice(const ReadModels& rm, const std::string& id, std::uint64_t position) {
  const InvoiceState* inv = find(rm.core().invoices(), id);
  if (!inv) return;
  auto [it, fresh] = invoice_index_.try_emplace(id, static_cast<std::uint32_t>(invoice_last_.size()));
  std::optional<MonthFigure> m = invoice_month_figure(*inv);
  std::uint32_t month = 0;
  if (m) {
    auto [mi, added] = month_index_.try_emplace(m->month, static_cast<std::uint32_t>(months_.size()));
    if (added) months_.push_back(m->month);
    month = mi->second;
  }
  InvoiceRecord rec{position, it->second, m.has_value(), month, m ? m->net_invoiced_cents : 0};
  if (fresh) {
    invoice_last_.push_back(rec);
  } else {
    const InvoiceRecord& last = invoice_last_[it->second];
    if (last.counted == rec.counted && last.month == rec.month && last.cents == rec.cents) return;
    invoice_last_[it->second] = rec;
  }
  invoice_records_.push_back(rec);
}

void BudgetTimeline::observe(const ReadModels& rm, const EventView& e) {
  const std::uint64_t pos = e.position();
  covers_ = std::max(covers_, pos);
  vault_ = rm.vault();
  const ProgrammeState* prog = find(rm.core().programmes(), programme_);
  const ProgrammeIndex* idx = find(rm.programmes(), programme_);
  if (!prog || !idx) return;
  if (known_since_ == 0) known_since_ = pos;
  // The rules, whenever they differ from the last recorded.
  RulesRecord r{pos, prog->rules.fee_cap_cents, prog->rules.cofunding_bp, prog->rules.vat_eligible,
                prog->rules.hour_cap_minutes};
  if (rules_.empty() || rules_.back().fee_cap_cents != r.fee_cap_cents ||
      rules_.back().cofunding_bp != r.cofunding_bp || rules_.back().vat_eligible != r.vat_eligible ||
      rules_.back().hour_cap_minutes != r.hour_cap_minutes)
    rules_.push_back(r);
  // Mentees and mentors that joined the programme's lists.
  auto join = [&](const std::vector<std::string>& ids, std::vector<Party>& list,
                  std::unordered_map<std::string, std::int32_t>& index, bool mentee) {
    for (std::size_t i = list.size(); i < ids.size(); ++i) {
      Party p;
      p.since = pos;
      p.key = ids[i];
      const auto n = static_cast<std::int32_t>(list.size());
      index.try_emplace(p.key, n);
      if (mentee) {
        const MenteeState* m = find(rm.core().mentees(), p.key);
        p.versions.push_back({pos, m != nullptr, m ? m->cluster_name : SealedText{}, m ? m->country : ""});
      } else {
        const MentorState* m = find(rm.core().mentors(), p.key);
        p.versions.push_back({pos, m != nullptr, m ? m->name : SealedText{}, m ? m->country : ""});
      }
      // Pairs that named it before it joined.
      auto& waiting = mentee ? waiting_mentee_ : waiting_mentor_;
      if (auto w = waiting.find(p.key); w != waiting.end()) {
        for (std::uint32_t k : w->second) (mentee ? pairs_[k].mentee : pairs_[k].mentor) = n;
        waiting.erase(w);
      }
      list.push_back(std::move(p));
    }
  };
  if (idx->mentees.size() > mentees_.size()) join(idx->mentees, mentees_, mentee_index_, true);
  if (idx->mentors.size() > mentors_.size()) join(idx->mentors, mentors_, mentor_index_, false);

  // What the event is about: its stream's entity (a pair, an invoice and its
  // pair, a mentee, an application's mentor), or for a financial correction
  // the invoice it corrects.
  std::string_view st = e.stream();
  auto invoice = [&](const std::string& id) {
    update_invoice(rm, id, pos);
    if (const InvoiceState* inv = find(rm.core().invoices(), id)) update_pair(rm, inv->pair_id, pos);
  };
  if (st.substr(0, 5) == "pair-") {
    update_pair(rm, std::string(st.substr(5)), pos);
  } else if (st.substr(0, 8) == "invoice-") {
    invoice(std::string(st.substr(8)));
  } else if (e.type() == fb::Event::FinancialCorrectionApplied) {
    if (auto* p = e.as<fb::FinancialCorrectionApplied>(); p && p->invoice_id())
      invoice(std::string(EventView::sv(p->invoice_id())));
  } else if (st.substr(0, 7) == "mentee-") {
    std::string id(st.substr(7));
    const MenteeState* m = find(rm.core().mentees(), id);
    update_party(mentees_, mentee_index_, id, pos, m != nullptr, m ? m->cluster_name : SealedText{},
                 m ? m->country : "");
    if (auto p = person_index_.find(id); p != person_index_.end()) update_mentee(rm, p->second, pos);
  } else if (st.substr(0, 12) == "application-") {
    if (const ApplicationState* a = find(rm.core().applications(), st.substr(12)); a && !a->mentor_id.empty()) {
      const MentorState* m = find(rm.core().mentors(), a->mentor_id);
      update_party(mentors_, mentor_index_, a->mentor_id, pos, m != nullptr, m ? m->name : SealedText{},
                   m ? m->country : "");
      if (auto p = person_index_.find(a->mentor_id); p != person_index_.end()) update_mentor(rm, p->second, pos);
    }
  }
  // Pairs that joined the programme's list: the pairs view's order. (A pair
  // listed without a state yet has no records: it is skipped until it has.)
  for (std::size_t i = pair_order_.size(); i < idx->pairs.size(); ++i) {
    const std::string& id = idx->pairs[i];
    if (!pair_index_.count(id)) update_pair(rm, id, pos);
    auto it = pair_index_.find(id);
    pair_order_.emplace_back(pos, it == pair_index_.end() ? ~0u : it->second);
    if (it == pair_index_.end()) unlisted_[pair_order_.size() - 1] = id;
  }
}

BudgetTimeline::Answer BudgetTimeline::at(std::uint64_t position) const {
  Answer a;
  if (known_since_ == 0 || position < known_since_) return a;
  a.known = true;
  const RulesRecord* rules = last_at(rules_, position, [](const RulesRecord& r) { return r.position; });
  if (!rules) return a;
  // Each pair's figures as of the position: its last record.
  std::vector<Figures> f(pairs_.size());
  for (const PairRecord& rec : pair_records_) {
    if (rec.position > position) break;
    f[rec.pair] = rec.f;
  }
  auto lines = [&](const std::vector<Party>& list, bool mentee) {
    std::vector<BudgetLine> out;
    std::vector<std::int32_t> line_of(list.size(), -1);
    for (std::size_t i = 0; i < list.size() && list[i].since <= position; ++i) {
      const Party::Version* v = last_at(list[i].versions, position, [](const Party::Version& x) { return x.since; });
      if (!v || !v->known) continue;
      line_of[i] = static_cast<std::int32_t>(out.size());
      BudgetLine line;
      line.key = list[i].key;
      line.name = v->name.empty() ? std::string() : vault_ ? vault_->text(v->name) : std::string(kSealedText);
      line.country = v->country;
      out.push_back(std::move(line));
    }
    for (std::size_t i = 0; i < pairs_.size() && pairs_[i].since <= position; ++i) {
      std::int32_t party = mentee ? pairs_[i].mentee : pairs_[i].mentor;
      if (party >= 0 && line_of[static_cast<std::size_t>(party)] >= 0)
        out[static_cast<std::size_t>(line_of[static_cast<std::size_t>(party)])].f += f[i];
    }
    return out;
  };
  a.budget = assemble_budget(rules->fee_cap_cents, rules->cofunding_bp, rules->vat_eligible, lines(mentees_, true),
                             lines(mentors_, false), false);
  // Each invoice's month figure as of the position.
  std::vector<const InvoiceRecord*> inv(invoice_last_.size(), nullptr);
  for (const InvoiceRecord& rec : invoice_records_) {
    if (rec.position > position) break;
    inv[rec.invoice] = &rec;
  }
  // Summed by month, in the months' order.
  std::vector<std::int64_t> sums(months_.size(), 0);
  std::vector<bool> seen(months_.size(), false);
  for (const InvoiceRecord* rec : inv)
    if (rec && rec->counted) {
      add_to(sums[rec->month], rec->cents);
      seen[rec->month] = true;
    }
  std::vector<std::uint32_t> order;
  for (std::uint32_t k = 0; k < months_.size(); ++k)
    if (seen[k]) order.push_back(k);
  std::sort(order.begin(), order.end(), [&](std::uint32_t x, std::uint32_t y) { return months_[x] < months_[y]; });
  for (std::uint32_t k : order) a.months.push_back({months_[k], sums[k]});
  return a;
}

BudgetTimeline::PairsAnswer BudgetTimeline::pairs_at(std::uint64_t position, std::int32_t today,
                                                     const std::function<bool(const PairLine&)>& keep) const {
  PairsAnswer a;
  if (known_since_ == 0 || position < known_since_) return a;
  a.known = true;
  const RulesRecord* rules = last_at(rules_, position, [](const RulesRecord& r) { return r.position; });
  const std::int64_t hour_cap = rules ? rules->hour_cap_minutes : 0;
  const std::int64_t fee_cap = rules ? rules->fee_cap_cents : 0;
  // Each pair's row and each mentee's figures as of the position: their last
  // records.
  std::vector<const Row*> rows(pairs_.size(), nullptr);
  for (const RowRecord& r : row_records_) {
    if (r.position > position) break;
    rows[r.pair] = &r.row;
  }
  std::vector<const PersonRecord*> figures(people_.size(), nullptr);
  for (const PersonRecord& r : person_records_) {
    if (r.position > position) break;
    figures[r.person] = &r;
  }
  auto text = [&](std::int32_t who) -> const Person::Text* {
    if (who < 0) return nullptr;
    const Person::Text* t =
        last_at(people_[static_cast<std::size_t>(who)].texts, position, [](const Person::Text& x) { return x.since; });
    return t && t->known ? t : nullptr;
  };
  a.lines.reserve(pair_order_.size());
  for (std::size_t i = 0; i < pair_order_.size() && pair_order_[i].first <= position; ++i) {
    std::uint32_t k = pair_order_[i].second;
    if (k == ~0u) {
      auto u = unlisted_.find(i);
      auto it = u == unlisted_.end() ? pair_index_.end() : pair_index_.find(u->second);
      if (it == pair_index_.end()) continue;
      k = it->second;
    }
    const Row* row = rows[k];
    if (!row) continue;
    const PairRef& ref = pairs_[k];
    PairFacts facts;
    facts.id = ref.id;
    facts.programme_id = programme_;
    facts.mentor_id = ref.mentor_id;
    facts.mentee_id = ref.mentee_id;
    if (const Person::Text* mentee = text(ref.mentee_person)) {
      facts.mentee_name = &mentee->name;
      facts.cluster_name = &mentee->cluster_name;
      facts.country = mentee->country;
      if (const PersonRecord* f = figures[static_cast<std::size_t>(ref.mentee_person)]) {
        facts.has_mentee_figures = true;
        facts.mentee_minutes_used = f->minutes_used;
        facts.mentee_net_invoiced_cents = f->net_invoiced_cents;
      }
    }
    if (const Person::Text* mentor = text(ref.mentor_person)) {
      facts.mentor_name = &mentor->name;
      facts.mentor_country = mentor->country;
    }
    if (ref.has_extra && ref.extra_since <= position) {
      facts.override_reason = &ref.override_reason;
      facts.topics = &ref.topics;
    }
    facts.own = *row;
    facts.vault = vault_;
    facts.hour_cap_minutes = hour_cap;
    facts.fee_cap_cents = fee_cap;
    const PairLine l = assemble_pair_line(facts, today);
    if (keep && !keep(l)) continue;
    a.lines.push_back(l);
  }
  return a;
}

}  // namespace pl
