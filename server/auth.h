// Tokens: who may call the API, and as what.
//
// The tokens file (DIR/tokens.json by default) holds only SHA-256 hashes:
//   {"tokens": [{"name": "...", "role": "coordinator|finance|auditor|mentor",
//                "sha256": "<64 hex>", "mentor_id": "<role mentor only>"}]}
// A presented token is hashed and compared with every entry in constant time.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ledger/sha256.h"
#include "ledger/status.h"

namespace pl {

struct Principal {
  std::string name;
  std::string role;       // coordinator, finance, auditor, mentor
  std::string mentor_id;  // role mentor only
};

bool known_role(const std::string& role);

class Tokens {
 public:
  // Reads and checks the file; not_found if it does not exist.
  static Result<Tokens> load(const std::string& file);
  // The principal of a bearer token, if any.
  std::optional<Principal> authenticate(std::string_view token) const;
  std::size_t size() const { return entries_.size(); }

  // Makes a new random token, appends its hash to the file (created if
  // missing, written to a temporary file and renamed, mode 0600), and
  // returns the plain token: the only time it is ever shown.
  static Result<std::string> add(const std::string& file, const Principal& who);

  // One token as `ledger token list` shows it: never the token, nor its
  // whole hash; `id` is the first 12 hexadecimal digits of its SHA-256.
  struct Listed {
    std::string id;
    Principal who;
  };
  std::vector<Listed> list() const;
  // Removes the one token whose id (or a longer prefix of its hash, at least
  // 8 digits) is `id`; returns what was removed. not_found when none matches,
  // invalid when the prefix names several.
  static Result<Listed> remove(const std::string& file, const std::string& id);

 private:
  struct Entry {
    Principal who;
    Hash sha256{};
  };
  std::vector<Entry> entries_;
};

}  // namespace pl
