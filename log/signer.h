// The ledger's signed checkpoints: its origin, its signing key and the
// verifier keys of every key it ever signed with.
//
// The origin ("programme-ledger/<12 hex digits>") names this ledger in every
// checkpoint; it is chosen once, when the first signer opens the store, and
// kept in the store. The signing key is kept in DATA_DIR/signing.key (mode
// 0600; never served, and copied by a backup only when asked); the verifier
// keys are kept in the store, the current one last. A ledger without a key
// (new, from before signed checkpoints, or restored from a backup without
// its key) gets a new one at open; earlier verifier keys stay listed, so the
// checkpoints they signed keep verifying.
//
// These signed checkpoints (c2sp.org/tlog-checkpoint, log/note.h) are not
// the read models' checkpoints (Store::put_checkpoint), which are a cache.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "log/note.h"
#include "log/store.h"

namespace pl {

inline constexpr char kSigningKeyFile[] = "signing.key";

class Signer {
 public:
  // Opens (or makes, see above) the signer of the ledger in `data_dir` whose
  // store is `store`, which must be open for writing and outlive the Signer.
  // invalid_argument if the key file is not a key of this ledger's origin.
  static Result<std::unique_ptr<Signer>> open(const std::string& data_dir, Store& store);
  // Makes a new signing key for the ledger in `data_dir` and lists its
  // verifier key after the others; returns the new verifier key. Run with the
  // server stopped (the store is opened for writing).
  static Result<std::string> rotate(const std::string& data_dir, Store& store);

  const std::string& origin() const { return origin_; }
  // The current verifier key, and every verifier key, oldest first.
  std::string verifier() const { return key_.verifier(); }
  const std::vector<std::string>& verifiers() const { return verifiers_; }

  // The signed note of the checkpoint of the tree of `size` leaves
  // (invalid_argument above the store's tree size). Thread-safe. A caller
  // asks only for sizes whose events are durable: the store's tree never
  // holds an event before its commit is.
  Result<std::string> checkpoint(std::uint64_t size) const;

 private:
  Signer(Store& store) : store_(store) {}
  Store& store_;
  std::string origin_;
  note::SigningKey key_;
  std::vector<std::string> verifiers_;
};

}  // namespace pl
