// What the HTTP layer counts to keep one client, or one token, from holding
// the server: the open connections of each client address, the connections
// idle between two requests (the first to close when a new client waits at
// the cap), every connection's way to be closed (at shutdown), and the
// uploads in progress per token and in all. No Beast here: a session gives
// a function that closes it, run on any thread.
//
// Internal to server/http*.cc. Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>

namespace pl {

class SessionTable {
 public:
  struct Limits {
    int per_client = 0;         // connections of one address; 0: no limit
    int uploads = 0;            // uploads in progress in all; 0: no limit
    int uploads_per_token = 0;  // of one token; 0: no limit
  };
  explicit SessionTable(Limits limits) : limits_(limits) {}

  // A new connection from `address`, closed by `close` (which must be safe
  // to call at any time until leave()). 0 when the address has its
  // limit of connections open: the caller refuses it (and does not leave()).
  std::uint64_t join(const std::string& address, std::function<void()> close);
  void leave(std::uint64_t id);
  // The connection waits for its next request, having answered one (idle),
  // or is busy with a request.
  void set_idle(std::uint64_t id, bool idle);
  // Closes the connection idle the longest; false when none is idle. The
  // connections so closed and not yet gone are counted by closing().
  bool close_longest_idle();
  int closing() const;
  // Closes every connection (shutdown).
  void close_all();

  enum class Upload { taken, token_full, all_full };
  // Takes an upload slot for `token` (the caller's bearer token), unless
  // that token or the server has its most in progress.
  Upload take_upload(const std::string& token);
  void give_upload(const std::string& token);

 private:
  struct Entry {
    std::string address;
    std::function<void()> close;
    bool idle = false;
    std::uint64_t idle_since = 0;  // a tick of idle_clock_: the order in which they went idle
    bool closing = false;
  };
  Limits limits_;
  mutable std::mutex mu_;
  std::uint64_t next_id_ = 1, idle_clock_ = 0;
  std::map<std::uint64_t, Entry> entries_;
  std::map<std::string, int> per_address_;
  int closing_ = 0;
  std::map<std::string, int> uploads_;  // by token
  int uploads_total_ = 0;
};

}  // namespace pl
