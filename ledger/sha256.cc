#include "ledger/sha256.h"

#include <openssl/evp.h>

#include <stdexcept>

namespace pl {
namespace {

const EVP_MD* sha256_md() {
  static const EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

struct Ctx {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~Ctx() { EVP_MD_CTX_free(ctx); }
};

}  // namespace

Hash sha256(std::string_view bytes) {
  thread_local Ctx c;
  Hash out{};
  unsigned int len = 0;
  if (c.ctx == nullptr || sha256_md() == nullptr || EVP_DigestInit_ex2(c.ctx, sha256_md(), nullptr) != 1 ||
      EVP_DigestUpdate(c.ctx, bytes.data(), bytes.size()) != 1 || EVP_DigestFinal_ex(c.ctx, out.data(), &len) != 1 ||
      len != out.size()) {
    // Only reachable if OpenSSL itself is broken: the ledger cannot chain without it.
    throw std::runtime_error("SHA-256 unavailable from OpenSSL");
  }
  return out;
}

std::string to_hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  s.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) {
    s.push_back(kDigits[b >> 4]);
    s.push_back(kDigits[b & 0xf]);
  }
  return s;
}

std::string to_hex(const Hash& h) {
  return to_hex(std::string_view(reinterpret_cast<const char*>(h.data()), h.size()));
}

bool from_hex(std::string_view hex, Hash* out) {
  if (hex.size() != 64) return false;
  auto nib = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < 32; ++i) {
    int hi = nib(hex[2 * i]), lo = nib(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    (*out)[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return true;
}

}  // namespace pl
