// OpenSSL's incremental SHA-256 (the same functions as sha256()), for bytes
// hashed as they come: an evidence upload, and a document read a piece at a
// time.
#pragma once

#include <openssl/sha.h>

#include <string_view>

#include "ledger/envelope.h"

namespace pl {

struct Sha256State {
  SHA256_CTX ctx;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  Sha256State() { SHA256_Init(&ctx); }
  void update(std::string_view b) { SHA256_Update(&ctx, b.data(), b.size()); }
  Hash finish() {
    Hash h{};
    SHA256_Final(h.data(), &ctx);
    return h;
  }
#pragma GCC diagnostic pop
};

}  // namespace pl
