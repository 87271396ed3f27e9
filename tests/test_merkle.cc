// The Merkle tree against RFC 6962's definitions written out naively: roots,
// inclusion and consistency proofs for every size and index up to 70, and
// proofs that are refused once any byte of them changes.
#include <doctest/doctest.h>

#include <map>

#include "log/merkle.h"

using namespace pl;
using namespace pl::merkle;

namespace {

Hash data_of(std::uint64_t i) { return sha256("event " + std::to_string(i)); }

// MTH(D[lo:hi]) straight from RFC 6962 §2.1, from the leaves' data.
Hash mth(std::uint64_t lo, std::uint64_t hi) {
  if (hi - lo == 1) return leaf_hash(data_of(lo));
  std::uint64_t k = 1;
  while (k * 2 < hi - lo) k *= 2;
  return node_hash(mth(lo, lo + k), mth(lo + k, hi));
}

// Nodes as a Frontier stores them while leaves are appended.
struct Memory {
  std::map<std::pair<int, std::uint64_t>, Hash> nodes;
  Frontier frontier;
  void append(std::uint64_t n) {
    for (std::uint64_t i = frontier.size(); i < n; ++i)
      frontier.append(data_of(i), [&](int l, std::uint64_t idx, const Hash& h) { nodes[{l, idx}] = h; });
  }
  NodeReader reader() const {
    return [this](int l, std::uint64_t idx) -> Result<Hash> {
      auto it = nodes.find({l, idx});
      if (it == nodes.end()) return Status::not_found("no node");
      return it->second;
    };
  }
};

}  // namespace

TEST_CASE("roots: stored complete subtrees give RFC 6962's MTH for every size; the frontier agrees") {
  Memory m;
  CHECK(root(0, m.reader()).value() == sha256(""));
  for (std::uint64_t n = 1; n <= 70; ++n) {
    m.append(n);
    CAPTURE(n);
    CHECK(root(n, m.reader()).value() == mth(0, n));
    CHECK(m.frontier.root() == mth(0, n));
    auto loaded = Frontier::load(n, m.reader());
    REQUIRE(loaded);
    CHECK(loaded->root() == mth(0, n));
  }
  // Stored: every leaf and every complete parent, nothing else.
  CHECK(m.nodes.size() == 70 + 35 + 17 + 8 + 4 + 2 + 1);
}

TEST_CASE("inclusion proofs for every index of every size verify, and fail when changed") {
  Memory m;
  m.append(70);
  for (std::uint64_t n = 1; n <= 70; ++n)
    for (std::uint64_t i = 0; i < n; ++i) {
      CAPTURE(n);
      CAPTURE(i);
      auto proof = inclusion_proof(i, n, m.reader());
      REQUIRE(proof);
      Hash r = mth(0, n), leaf = leaf_hash(data_of(i));
      CHECK(verify_inclusion(i, n, leaf, *proof, r));
      CHECK_FALSE(verify_inclusion(i, n, leaf_hash(data_of(i + 1)), *proof, r));
      if (!proof->empty()) {
        auto bad = *proof;
        bad.back()[7] ^= 1;
        CHECK_FALSE(verify_inclusion(i, n, leaf, bad, r));
        bad = *proof;
        bad.pop_back();
        CHECK_FALSE(verify_inclusion(i, n, leaf, bad, r));
      }
    }
  CHECK_FALSE(inclusion_proof(5, 5, m.reader()));
}

TEST_CASE("consistency proofs between every pair of sizes verify, and fail when changed") {
  Memory m;
  m.append(70);
  for (std::uint64_t n = 1; n <= 70; ++n)
    for (std::uint64_t k = 1; k <= n; ++k) {
      CAPTURE(k);
      CAPTURE(n);
      auto proof = consistency_proof(k, n, m.reader());
      REQUIRE(proof);
      Hash a = mth(0, k), b = mth(0, n);
      CHECK(verify_consistency(k, n, a, b, *proof));
      if (k < n) {
        CHECK_FALSE(verify_consistency(k, n, b, b, *proof));
        auto bad = *proof;
        bad.front()[0] ^= 0x80;
        CHECK_FALSE(verify_consistency(k, n, a, b, bad));
      }
    }
  CHECK_FALSE(consistency_proof(0, 3, m.reader()));
  CHECK_FALSE(consistency_proof(4, 3, m.reader()));
}
