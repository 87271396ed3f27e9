// Tokens: who may call the API, and as what.
//
// The tokens file (DIR/tokens.json by default) holds only SHA-256 hashes:
//   {"tokens": [{"name": "...", "role": "coordinator|finance|auditor|controller|mentor",
//                "sha256": "<64 hex>", "mentor_id": "<role mentor only>"}]}
// A presented token is hashed and compared with every entry in constant time.
//
// Thread safety: a Tokens no one assigns to may be read from any number of
// threads. add() and remove() rewrite the file (read, change, rename): calls
// racing on one file, from any process, may lose one another's change.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/sha256.h"
#include "base/status.h"

namespace pl {

struct Principal {
  std::string name;
  std::string role;       // coordinator, finance, auditor, controller, mentor
  std::string mentor_id;  // role mentor only
};

// True for coordinator, finance, auditor, controller and mentor.
bool known_role(const std::string& role);

class Tokens {
 public:
  // Reads and checks the file: not_found if it does not exist;
  // invalid_argument if it is not JSON, or if an entry (the message names it)
  // lacks its name, role or sha256, has an unknown role, or is a mentor's
  // without mentor_id. An empty list is not an error.
  static Result<Tokens> load(const std::string& file);
  // The principal of a bearer token; nullopt for an empty or unknown token.
  std::optional<Principal> authenticate(std::string_view token) const;
  // The number of entries.
  std::size_t size() const { return entries_.size(); }

  // Makes a new random token, appends its hash to the file (created if
  // missing, written to a temporary file and renamed, mode 0600), and
  // returns the plain token: the only time it is ever shown.
  // invalid_argument for an empty name, an unknown role, a mentor without
  // mentor_id or another role with one, or an existing file load() refuses;
  // io_error when the file cannot be written (it is then unchanged).
  static Result<std::string> add(const std::string& file, const Principal& who);

  // One token as `ledger token list` shows it: never the token, nor its
  // whole hash; `id` is the first 12 hexadecimal digits of its SHA-256.
  struct Listed {
    std::string id;
    Principal who;
  };
  // Every entry, in the file's order.
  std::vector<Listed> list() const;
  // Removes the one token whose hash starts with `id` (8 to 64 lower-case
  // hex digits: the listed id, or more or fewer of them); returns what was
  // removed. not_found when the file is missing or no token matches;
  // invalid_argument for a malformed id, or one that names several tokens;
  // io_error when the file cannot be written (it is then unchanged).
  static Result<Listed> remove(const std::string& file, const std::string& id);

 private:
  struct Entry {
    Principal who;
    Hash sha256{};
  };
  std::vector<Entry> entries_;
};

}  // namespace pl
