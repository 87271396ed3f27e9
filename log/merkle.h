// The Merkle tree over the log, exactly RFC 6962 (and RFC 9162 §2.1): leaf
// index = position - 1; leaf data = the event's 32-byte chain hash; leaf hash
// = SHA-256(0x00 || data); interior node = SHA-256(0x01 || left || right);
// the tree of n leaves splits at the largest power of two below n.
//
// Stored nodes are the hashes of complete subtrees: node (level L, index i)
// covers leaves [i * 2^L, (i + 1) * 2^L). Every leaf's hash (level 0) and
// every complete parent is stored with the events that complete it, so the
// root of any size, an inclusion proof and a consistency proof each read
// O(log n) nodes. The functions here are pure: `NodeReader` supplies stored
// nodes (from the store, or from memory in tests and tools).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/sha256.h"
#include "base/status.h"

namespace pl::merkle {

Hash leaf_hash(const Hash& data);
Hash node_hash(const Hash& left, const Hash& right);
// The root of the empty tree: SHA-256 of nothing.
Hash empty_root();

// The stored node (level, index); an error if it cannot be read (not_found
// if it was never stored).
using NodeReader = std::function<Result<Hash>(int level, std::uint64_t index)>;

// The hash of leaves [lo, hi) as RFC 6962's MTH; 0 <= lo < hi.
Result<Hash> subtree(std::uint64_t lo, std::uint64_t hi, const NodeReader& read);
// The root of the tree of `size` leaves (empty_root() for 0).
Result<Hash> root(std::uint64_t size, const NodeReader& read);
// RFC 6962 §2.1.1 PATH(index, D[size]): the audit path, leaf to root.
// invalid_argument unless index < size.
Result<std::vector<Hash>> inclusion_proof(std::uint64_t index, std::uint64_t size, const NodeReader& read);
// RFC 6962 §2.1.2 PROOF(m, D[n]); invalid_argument unless 0 < m <= n. Empty
// for m == n.
Result<std::vector<Hash>> consistency_proof(std::uint64_t m, std::uint64_t n, const NodeReader& read);

// RFC 9162 §2.1.3.2: whether `proof` shows the leaf hash at `index` is in the
// tree of `size` with `root`.
bool verify_inclusion(std::uint64_t index, std::uint64_t size, const Hash& leaf, const std::vector<Hash>& proof,
                      const Hash& root);
// RFC 9162 §2.1.4.2: whether `proof` shows the tree (m, old_root) is a prefix
// of the tree (n, new_root). For m == n the proof must be empty and the
// roots equal; m == 0 is refused (nothing to prove).
bool verify_consistency(std::uint64_t m, std::uint64_t n, const Hash& old_root, const Hash& new_root,
                        const std::vector<Hash>& proof);

// The right edge of a growing tree: the complete subtrees a tree of size()
// leaves is made of, largest first. Appending a leaf reports every node it
// completes (the leaf itself first), so that they can be stored.
class Frontier {
 public:
  using Emit = std::function<void(int level, std::uint64_t index, const Hash& hash)>;
  // The frontier of the tree of `size` leaves, read from stored nodes.
  static Result<Frontier> load(std::uint64_t size, const NodeReader& read);
  // Appends the leaf whose data (an event's chain hash) is `data`.
  void append(const Hash& data, const Emit& emit);
  std::uint64_t size() const { return size_; }
  Hash root() const;

 private:
  std::uint64_t size_ = 0;
  std::vector<std::pair<int, Hash>> stack_;  // (level, hash), levels decreasing
};

// The key of a stored node: the level (one byte) and the index (eight bytes,
// big-endian), so that each level's nodes sort by index.
std::string node_key(int level, std::uint64_t index);

}  // namespace pl::merkle
