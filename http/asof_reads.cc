// Reads as of a point: the published read models, or, for ?as_of= and ?at=,
// a programme's models replayed on the as-of thread from its snapshots (the
// latest few kept), with the budget timelines prepared at start.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "base/dates.h"
#include "http/api.h"
#include "http/route_table.h"
#include "read/replay.h"

namespace pl {

using nlohmann::json;

namespace {
constexpr std::size_t kAsOfCacheSize = 4;  // as-of read models kept for reuse
}  // namespace

// Answers from the published read models, or, for ?as_of=<instant> or
// ?at=<position> before them, from a replay up to that point (on the
// background thread; the latest few are cached).
void Api::with_models(Ctx& c, std::function<void(Ctx&, const ReadModels&, std::int32_t)> fn, AsOfFirst first) {
  AsOf at;
  bool asked = false;
  // A mentor reaches what the path names only if it is its own, as of the
  // models the answer is read from.
  auto answer = [this](Ctx& c2, const ReadModels& rm, std::int32_t today, auto& then) {
    if (c2.is_mentor() && c2.spec->mentor == MentorLimit::own && c2.spec->as_of && !mentor_owns(c2, rm)) return;
    then(c2, rm, today);
  };
  if (!c.spec->as_of) return answer(c, *parts_.projector->snapshot(), day_of(parts_.clock()), fn);
  if (c.has("at")) {
    if (!parse_u64(c.q("at"), &at.position) || at.position == 0)
      return c.fail(400, "bad_request", "at must be a position, a whole number from 1");
    asked = true;
  }
  if (c.has("as_of")) {
    if (asked) return c.fail(400, "bad_request", "give as_of or at, not both");
    auto t = parse_instant(c.q("as_of"));
    if (!t)
      return c.fail(400, "bad_request",
                    "as_of must be an RFC 3339 instant with an offset, as 2019-03-15T23:59:59+01:00");
    at.recorded_at_us = *t;
    at.has_time = true;
    asked = true;
  }
  auto snap = parts_.projector->snapshot();
  std::int32_t now_day = day_of(parts_.clock());
  if (!asked) return answer(c, *snap, now_day, fn);
  std::int32_t today = at.has_time ? day_of(at.recorded_at_us) : now_day;
  bool latest = at.has_time ? at.recorded_at_us >= snap->recorded_at_us() &&
                                  snap->position() == parts_.publication->published_position()
                            : at.position >= snap->position();
  if (latest) return answer(c, *snap, at.has_time ? today : day_of(snap->recorded_at_us()), fn);

  // The programme the path names, directly or through its entity: its views
  // are answered from that programme's models alone (read/asof.h).
  std::string programme = programme_of(c, *snap);
  auto shared = std::make_shared<Ctx>(std::move(c));
  auto job = [this, shared, at, today, answer, programme, fn = std::move(fn), first = std::move(first)]() mutable {
    std::shared_ptr<const ReadModels> rm;
    if (!programme.empty()) {
      std::uint64_t position = at.position;
      if (at.has_time) {
        auto p = parts_.store->position_at(at.recorded_at_us);
        if (!p) return shared->fail(p.status());
        position = at.position ? std::min(at.position, *p) : *p;
      }
      if (first) {
        // The day the answer is of: the instant asked, or the recording time
        // of the event at the position asked (as the models would give it).
        std::int32_t day = today;
        if (!at.has_time) {
          auto ev = parts_.store->read_one(position);
          if (!ev) return shared->fail(ev.status());
          day = day_of(ev->view().recorded_at_us());
        }
        if (first(*shared, programme, position, day)) return;
      }
      if (position == 0) {
        rm = std::make_shared<const ReadModels>();
      } else {
        auto r = asof_models_->at(programme, position);
        // A programme index not complete (a store not yet back-filled):
        // the replay of the whole log below answers.
        if (!r && !r.status().is(Kind::unavailable)) return shared->fail(r.status());
        if (r) rm = std::move(r).value();
      }
      if (rm) return answer(*shared, *rm, at.has_time ? today : day_of(rm->recorded_at_us()), fn);
    }
    std::uint64_t key = at.has_time ? 0 : at.position;
    if (key) {
      std::lock_guard lock(asof_mu_);
      for (auto& [k, v] : asof_cache_)
        if (k == key) rm = v;
    }
    if (!rm) {
      auto r = replay<ReadModels>(*parts_.store, at);
      if (!r) return shared->fail(r.status());
      rm = std::make_shared<const ReadModels>(std::move(r).value());
      std::lock_guard lock(asof_mu_);
      asof_cache_.emplace_back(rm->position(), rm);
      if (asof_cache_.size() > kAsOfCacheSize) asof_cache_.erase(asof_cache_.begin());
    }
    answer(*shared, *rm, at.has_time ? today : day_of(rm->recorded_at_us()), fn);
  };
  if (!asof_worker_->post(std::move(job)))
    shared->fail(503, "busy", "too many as-of reads are waiting; retry in a moment");
}

void Api::prepare_snapshots(std::shared_ptr<std::vector<std::string>> programmes, std::size_t i) {
  if (!programmes) {
    auto list = asof_models_->worth_preparing();
    if (!list) {
      asof_prepared_ = true;
      return spdlog::warn("as-of snapshots not prepared: {}", list.status().to_string());
    }
    programmes = std::make_shared<std::vector<std::string>>(std::move(list).value());
  }
  if (i >= programmes->size()) {
    asof_prepared_ = true;
    return;
  }
  if (Status st = asof_models_->prepare_one((*programmes)[i]); !st) {
    asof_prepared_ = true;
    return spdlog::warn("as-of snapshots of {} not prepared: {}", (*programmes)[i], st.to_string());
  }
  spdlog::info("as-of budget timeline and snapshots of programme {} ready ({} of {})", (*programmes)[i], i + 1,
               programmes->size());
  asof_worker_->post([this, programmes, i] { prepare_snapshots(programmes, i + 1); });
}

}  // namespace pl
