// What the evidence tests share: an independent SHA-256 and reproducible bytes.
#pragma once

#include <doctest/doctest.h>
#include <openssl/evp.h>

#include <random>
#include <string>
#include <string_view>

namespace pl::test {

// SHA-256 by OpenSSL's EVP interface: not the code the store hashes with.
inline std::string evp_sha256_hex(std::string_view bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  REQUIRE(ctx != nullptr);
  REQUIRE(EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1);
  REQUIRE(EVP_DigestUpdate(ctx, bytes.data(), bytes.size()) == 1);
  REQUIRE(EVP_DigestFinal_ex(ctx, md, &n) == 1);
  EVP_MD_CTX_free(ctx);
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < n; ++i) {
    hex.push_back(kDigits[md[i] >> 4]);
    hex.push_back(kDigits[md[i] & 15]);
  }
  return hex;
}

// n bytes drawn from a generator seeded with `seed`: the same each run.
inline std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

}  // namespace pl::test
