// The primitives under the vault (log/vault.h): AES-256-GCM and HMAC-SHA-256
// from OpenSSL, fetched once, with a context per thread; the random bytes;
// and the master key's id. For log/vault.cc and log/vault_crypto.cc only.
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "base/status.h"
#include "log/vault.h"

namespace pl::vault_crypto {

inline constexpr std::size_t kNonce = 12, kTag = 16;
inline constexpr std::string_view kMasterTag = "pl-master-key-1";

inline std::string_view chars(const unsigned char* p, std::size_t n) { return {reinterpret_cast<const char*>(p), n}; }
inline const unsigned char* uchars(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }
inline std::string_view key_chars(const DataKey& k) { return chars(k.data(), k.size()); }
// `v` in its last `bytes` bytes, big-endian; a string as u32 length ‖ bytes.
void be(std::string& out, std::uint64_t v, int bytes);
void str(std::string& out, std::string_view s);

Status random_bytes(unsigned char* out, std::size_t n);
const EVP_CIPHER* aes_256_gcm();
// A context for HMAC-SHA-256, its digest set (null when OpenSSL has none).
EVP_MAC_CTX* new_hmac_ctx();
// The parts in order into an initialised HMAC context, then its MAC into `out`.
bool hmac_rest(EVP_MAC_CTX* ctx, std::initializer_list<std::string_view> parts, unsigned char (&out)[32]);
// HMAC-SHA-256(key, the parts in order) into `out`.
bool hmac_sha256(std::string_view key, std::initializer_list<std::string_view> parts, unsigned char (&out)[32]);
// AES-256-GCM of `text` with `aad` under `nonce` (kNonce bytes at out[0]),
// written after the nonce, then the tag: the box nonce ‖ ciphertext ‖ tag in
// `out` (kNonce + text.size() + kTag bytes). `key` null: `c` is keyed already.
bool gcm_seal_into(EVP_CIPHER_CTX* c, const DataKey* key, std::string_view aad, std::string_view text,
                   unsigned char* out);
// nonce ‖ AES-256-GCM(key, text, aad) ‖ tag, the nonce random or synthetic.
Result<std::string> aead_seal(const DataKey& key, std::string_view aad, std::string_view text, bool synthetic = false);
// The text of a box, or corruption when its tag does not hold.
Result<std::string> aead_open(const DataKey& key, std::string_view aad, std::string_view box);
// The master key id's 4 bytes: the first of SHA-256("pl-master-key-1" ‖ key).
std::string id_bytes(const DataKey& key);

}  // namespace pl::vault_crypto
