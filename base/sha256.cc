#include "base/sha256.h"

#include <openssl/sha.h>

#include <stdexcept>

namespace pl {

// OpenSSL's SHA-256 functions, not its EVP interface: every stored event is
// hashed again whenever it is read, and for a 500-byte envelope EVP's
// dispatch costs a quarter of the hash (about 100 of 500 ns here). Both use
// the same code, with the CPU's SHA instructions where there are some.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
Hash sha256(std::string_view bytes) {
  Hash out{};
  SHA256_CTX ctx;
  if (SHA256_Init(&ctx) != 1 || SHA256_Update(&ctx, bytes.data(), bytes.size()) != 1 ||
      SHA256_Final(out.data(), &ctx) != 1) {
    // Only reachable if OpenSSL itself is broken: the ledger cannot chain without it.
    throw std::runtime_error("SHA-256 unavailable from OpenSSL");
  }
  return out;
}

Sha256Stream::Sha256Stream() : ctx_(std::make_unique<SHA256_CTX>()) {
  if (SHA256_Init(ctx_.get()) != 1) throw std::runtime_error("SHA-256 unavailable from OpenSSL");
}

Sha256Stream::~Sha256Stream() = default;
Sha256Stream::Sha256Stream(Sha256Stream&&) noexcept = default;
Sha256Stream& Sha256Stream::operator=(Sha256Stream&&) noexcept = default;

void Sha256Stream::update(std::string_view bytes) {
  if (!bytes.empty() && SHA256_Update(ctx_.get(), bytes.data(), bytes.size()) != 1)
    throw std::runtime_error("SHA-256 unavailable from OpenSSL");
}

Hash Sha256Stream::finish() {
  Hash out{};
  if (SHA256_Final(out.data(), ctx_.get()) != 1 || SHA256_Init(ctx_.get()) != 1)
    throw std::runtime_error("SHA-256 unavailable from OpenSSL");
  return out;
}
#pragma GCC diagnostic pop

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

std::string to_hex(const Hash& h) { return to_hex(bytes_of(h)); }

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
