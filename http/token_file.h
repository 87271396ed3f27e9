// The tokens file as the service reads it: loaded at start (a missing or
// empty file refuses to start), looked at again at most once a second and
// reread when it changed, so that a token added, removed or given another
// role takes effect within a second or two without a restart. A file that is
// gone refuses every token; one that cannot be read keeps what was loaded.
// Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "http/auth.h"

namespace pl {

// What tells that the tokens file changed: a rename (ledger token add and
// remove) makes a new inode; an edit in place changes the time or the size.
struct TokensFileStamp {
  bool exists = false;
  std::uint64_t inode = 0;
  std::int64_t size = 0, mtime_ns = 0;
  bool operator==(const TokensFileStamp&) const = default;
};
inline constexpr auto kTokensRecheck = std::chrono::milliseconds(1000);

class TokenFile {
 public:
  // Loads `file`: not_found (saying how to make one for `data_dir`) when it
  // does not exist, invalid_argument when it holds no token, or what
  // Tokens::load says.
  static Result<std::unique_ptr<TokenFile>> open(const std::string& file, const std::string& data_dir);

  // The principal of a bearer token, from the file as it stands (reread if
  // it changed).
  std::optional<Principal> authenticate(std::string_view token);
  // The number of tokens loaded.
  std::size_t size() const;

 private:
  TokenFile() = default;
  void reload_if_changed();  // with mu_ held

  mutable std::mutex mu_;
  Tokens tokens_;
  std::string file_;
  TokensFileStamp stamp_{};
  std::chrono::steady_clock::time_point checked_{};
};

}  // namespace pl
