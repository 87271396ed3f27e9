#include "http/http_limits.h"

#include <vector>

namespace pl {

std::uint64_t SessionTable::join(const std::string& address, std::function<void()> close) {
  std::lock_guard lock(mu_);
  int& n = per_address_[address];
  if (limits_.per_client > 0 && n >= limits_.per_client) {
    if (n == 0) per_address_.erase(address);
    return 0;
  }
  ++n;
  std::uint64_t id = next_id_++;
  entries_[id] = Entry{address, std::move(close)};
  return id;
}

void SessionTable::leave(std::uint64_t id) {
  std::function<void()> close;  // destroyed outside the lock
  std::lock_guard lock(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  if (it->second.closing) --closing_;
  auto a = per_address_.find(it->second.address);
  if (a != per_address_.end() && --a->second <= 0) per_address_.erase(a);
  close = std::move(it->second.close);
  entries_.erase(it);
}

void SessionTable::set_idle(std::uint64_t id, bool idle) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  it->second.idle = idle;
  if (idle) it->second.idle_since = ++idle_clock_;
}

bool SessionTable::close_longest_idle() {
  std::function<void()> close;
  {
    std::lock_guard lock(mu_);
    Entry* oldest = nullptr;
    for (auto& [id, e] : entries_)
      if (e.idle && !e.closing && (!oldest || e.idle_since < oldest->idle_since)) oldest = &e;
    if (!oldest) return false;
    oldest->closing = true;
    ++closing_;
    close = oldest->close;
  }
  close();
  return true;
}

int SessionTable::closing() const {
  std::lock_guard lock(mu_);
  return closing_;
}

void SessionTable::close_all() {
  std::vector<std::function<void()>> all;
  {
    std::lock_guard lock(mu_);
    for (auto& [id, e] : entries_) all.push_back(e.close);
  }
  for (auto& close : all) close();
}

SessionTable::Upload SessionTable::take_upload(const std::string& token) {
  std::lock_guard lock(mu_);
  if (limits_.uploads > 0 && uploads_total_ >= limits_.uploads) return Upload::all_full;
  int& n = uploads_[token];
  if (limits_.uploads_per_token > 0 && n >= limits_.uploads_per_token) return Upload::token_full;
  ++n;
  ++uploads_total_;
  return Upload::taken;
}

void SessionTable::give_upload(const std::string& token) {
  std::lock_guard lock(mu_);
  auto it = uploads_.find(token);
  if (it == uploads_.end()) return;
  --uploads_total_;
  if (--it->second <= 0) uploads_.erase(it);
}

}  // namespace pl
