#include "log/merkle.h"

#include <bit>

namespace pl::merkle {
namespace {

// The largest power of two smaller than n (n >= 2).
std::uint64_t split(std::uint64_t n) { return std::bit_floor(n - 1); }

bool aligned_power(std::uint64_t lo, std::uint64_t width) { return std::has_single_bit(width) && lo % width == 0; }

// RFC 6962 SUBPROOF(m, D[lo:hi], complete).
Status subproof(std::uint64_t m, std::uint64_t lo, std::uint64_t hi, bool complete, const NodeReader& read,
                std::vector<Hash>* out) {
  std::uint64_t n = hi - lo;
  if (m == n) {
    if (complete) return Status::ok();
    auto h = subtree(lo, hi, read);
    if (!h) return h.status();
    out->push_back(*h);
    return Status::ok();
  }
  std::uint64_t k = split(n);
  if (m <= k) {
    PL_RETURN_IF_ERROR(subproof(m, lo, lo + k, complete, read, out));
    auto right = subtree(lo + k, hi, read);
    if (!right) return right.status();
    out->push_back(*right);
  } else {
    PL_RETURN_IF_ERROR(subproof(m - k, lo + k, hi, false, read, out));
    auto left = subtree(lo, lo + k, read);
    if (!left) return left.status();
    out->push_back(*left);
  }
  return Status::ok();
}

}  // namespace

Hash leaf_hash(const Hash& data) {
  std::string buf(1, '\0');
  buf.append(bytes_of(data));
  return sha256(buf);
}

Hash node_hash(const Hash& left, const Hash& right) {
  std::string buf(1, '\x01');
  buf.append(bytes_of(left));
  buf.append(bytes_of(right));
  return sha256(buf);
}

Hash empty_root() { return sha256(std::string_view()); }

Result<Hash> subtree(std::uint64_t lo, std::uint64_t hi, const NodeReader& read) {
  std::uint64_t width = hi - lo;
  if (aligned_power(lo, width)) return read(std::countr_zero(width), lo / width);
  std::uint64_t k = split(width);
  auto left = subtree(lo, lo + k, read);
  if (!left) return left;
  auto right = subtree(lo + k, hi, read);
  if (!right) return right;
  return node_hash(*left, *right);
}

Result<Hash> root(std::uint64_t size, const NodeReader& read) {
  if (size == 0) return empty_root();
  return subtree(0, size, read);
}

Result<std::vector<Hash>> inclusion_proof(std::uint64_t index, std::uint64_t size, const NodeReader& read) {
  if (index >= size)
    return Status::invalid("leaf index " + std::to_string(index) + " is not below the size " + std::to_string(size));
  // PATH(m, D[lo:hi]), iteratively: the sibling subtrees from the root down,
  // then reversed to run from the leaf up.
  std::vector<Hash> path;
  std::uint64_t lo = 0, hi = size;
  while (hi - lo > 1) {
    std::uint64_t k = split(hi - lo);
    Result<Hash> sibling = index < lo + k ? subtree(lo + k, hi, read) : subtree(lo, lo + k, read);
    if (!sibling) return sibling.status();
    path.push_back(*sibling);
    if (index < lo + k)
      hi = lo + k;
    else
      lo += k;
  }
  return std::vector<Hash>(path.rbegin(), path.rend());
}

Result<std::vector<Hash>> consistency_proof(std::uint64_t m, std::uint64_t n, const NodeReader& read) {
  if (m == 0 || m > n)
    return Status::invalid("a consistency proof is from a size of 1 or more to a size not below it (asked " +
                           std::to_string(m) + " to " + std::to_string(n) + ")");
  std::vector<Hash> out;
  if (m == n) return out;
  PL_RETURN_IF_ERROR(subproof(m, 0, n, true, read, &out));
  return out;
}

bool verify_inclusion(std::uint64_t index, std::uint64_t size, const Hash& leaf, const std::vector<Hash>& proof,
                      const Hash& root) {
  if (index >= size) return false;
  std::uint64_t fn = index, sn = size - 1;
  Hash r = leaf;
  for (const Hash& p : proof) {
    if (sn == 0) return false;
    if ((fn & 1) == 1 || fn == sn) {
      r = node_hash(p, r);
      if ((fn & 1) == 0)
        while ((fn & 1) == 0 && fn != 0) fn >>= 1, sn >>= 1;
    } else {
      r = node_hash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && r == root;
}

bool verify_consistency(std::uint64_t m, std::uint64_t n, const Hash& old_root, const Hash& new_root,
                        const std::vector<Hash>& proof) {
  if (m == 0 || m > n) return false;
  if (m == n) return proof.empty() && old_root == new_root;
  if (proof.empty()) return false;
  std::vector<Hash> p = proof;
  if (std::has_single_bit(m)) p.insert(p.begin(), old_root);
  std::uint64_t fn = m - 1, sn = n - 1;
  while ((fn & 1) == 1) fn >>= 1, sn >>= 1;
  Hash fr = p[0], sr = p[0];
  for (std::size_t i = 1; i < p.size(); ++i) {
    if (sn == 0) return false;
    if ((fn & 1) == 1 || fn == sn) {
      fr = node_hash(p[i], fr);
      sr = node_hash(p[i], sr);
      if ((fn & 1) == 0)
        while ((fn & 1) == 0 && fn != 0) fn >>= 1, sn >>= 1;
    } else {
      sr = node_hash(sr, p[i]);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return fr == old_root && sr == new_root && sn == 0;
}

Result<Frontier> Frontier::load(std::uint64_t size, const NodeReader& read) {
  Frontier f;
  f.size_ = size;
  std::uint64_t start = 0;
  for (int level = 63; level >= 0; --level) {
    std::uint64_t width = std::uint64_t{1} << level;
    if ((size & width) == 0) continue;
    auto h = read(level, start >> level);
    if (!h) return h.status();
    f.stack_.emplace_back(level, *h);
    start += width;
  }
  return f;
}

void Frontier::append(const Hash& data, const Emit& emit) {
  std::uint64_t index = size_++;
  Hash h = leaf_hash(data);
  int level = 0;
  emit(0, index, h);
  // Each trailing 1 bit of the index closes a complete subtree one level up.
  while (!stack_.empty() && stack_.back().first == level) {
    h = node_hash(stack_.back().second, h);
    stack_.pop_back();
    ++level;
    index >>= 1;
    emit(level, index, h);
  }
  stack_.emplace_back(level, h);
}

Hash Frontier::root() const {
  if (stack_.empty()) return empty_root();
  Hash r = stack_.back().second;
  for (auto it = stack_.rbegin() + 1; it != stack_.rend(); ++it) r = node_hash(it->second, r);
  return r;
}

std::string node_key(int level, std::uint64_t index) {
  std::string k(9, '\0');
  k[0] = static_cast<char>(level);
  for (int i = 0; i < 8; ++i) k[1 + i] = static_cast<char>(index >> (56 - 8 * i));
  return k;
}

}  // namespace pl::merkle
