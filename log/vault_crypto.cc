#include "log/vault_crypto.h"

#include <fcntl.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/sha256.h"
#include "log/note.h"

namespace pl::vault_crypto {

void be(std::string& out, std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out += static_cast<char>(v >> (8 * i));
}
void str(std::string& out, std::string_view s) {
  be(out, s.size(), 4);
  out += s;
}

Status random_bytes(unsigned char* out, std::size_t n) {
  if (RAND_bytes(out, static_cast<int>(n)) != 1) return Status::internal("no random bytes from OpenSSL");
  return Status::ok();
}

// The algorithms, fetched from OpenSSL's default provider once (an implicit
// fetch on every call is most of the cost of sealing a short field), and one
// context of each per thread, reset for every use.
const EVP_CIPHER* aes_256_gcm() {
  static EVP_CIPHER* c = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  return c;
}
static EVP_MAC* hmac_algorithm() {
  static EVP_MAC* m = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  return m;
}
static EVP_CIPHER_CTX* cipher_ctx() {
  struct Owned {
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    ~Owned() { EVP_CIPHER_CTX_free(ctx); }
  };
  thread_local Owned o;
  return o.ctx;
}

// A context for HMAC-SHA-256 (its digest set once: naming it at every
// initialisation fetches it again).
EVP_MAC_CTX* new_hmac_ctx() {
  EVP_MAC_CTX* ctx = hmac_algorithm() ? EVP_MAC_CTX_new(hmac_algorithm()) : nullptr;
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0), OSSL_PARAM_construct_end()};
  if (ctx && EVP_MAC_CTX_set_params(ctx, params) != 1) {
    EVP_MAC_CTX_free(ctx);
    return nullptr;
  }
  return ctx;
}

// The parts in order into an initialised HMAC context, then its MAC into `out`.
bool hmac_rest(EVP_MAC_CTX* ctx, std::initializer_list<std::string_view> parts, unsigned char (&out)[32]) {
  for (auto p : parts)
    if (EVP_MAC_update(ctx, uchars(p), p.size()) != 1) return false;
  std::size_t len = 0;
  return EVP_MAC_final(ctx, out, &len, sizeof out) == 1 && len == sizeof out;
}

// HMAC-SHA-256(key, the parts in order) into `out`.
bool hmac_sha256(std::string_view key, std::initializer_list<std::string_view> parts, unsigned char (&out)[32]) {
  struct Owned {
    EVP_MAC_CTX* ctx = new_hmac_ctx();
    ~Owned() { EVP_MAC_CTX_free(ctx); }
  };
  thread_local Owned o;
  return o.ctx && EVP_MAC_init(o.ctx, uchars(key), key.size(), nullptr) == 1 && hmac_rest(o.ctx, parts, out);
}

bool gcm_seal_into(EVP_CIPHER_CTX* c, const DataKey* key, std::string_view aad, std::string_view text,
                   unsigned char* out) {
  int len = 0;
  const EVP_CIPHER* cipher = key ? aes_256_gcm() : nullptr;
  return c && (!key || cipher) && EVP_EncryptInit_ex2(c, cipher, key ? key->data() : nullptr, out, nullptr) == 1 &&
         EVP_EncryptUpdate(c, nullptr, &len, uchars(aad), static_cast<int>(aad.size())) == 1 &&
         EVP_EncryptUpdate(c, out + kNonce, &len, uchars(text), static_cast<int>(text.size())) == 1 &&
         EVP_EncryptFinal_ex(c, out + kNonce + len, &len) == 1 &&
         EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, kTag, out + kNonce + text.size()) == 1;
}

// nonce ‖ AES-256-GCM(key, text, aad) ‖ tag. The nonce is random, or with
// `synthetic` the first 12 bytes of HMAC-SHA-256(key, "pl-nonce-1" ‖ aad ‖
// text): one (aad, text) under one key gives one box, and two texts share a
// nonce only when their MACs collide.
Result<std::string> aead_seal(const DataKey& key, std::string_view aad, std::string_view text, bool synthetic) {
  std::string out(kNonce + text.size() + kTag, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  if (synthetic) {
    unsigned char mac[32];
    if (!hmac_sha256(key_chars(key), {"pl-nonce-1", aad, text}, mac)) return Status::internal("HMAC-SHA-256 failed");
    std::memcpy(o, mac, kNonce);
  } else {
    PL_RETURN_IF_ERROR(random_bytes(o, kNonce));
  }
  if (!gcm_seal_into(cipher_ctx(), &key, aad, text, o)) return Status::internal("AES-256-GCM sealing failed");
  return out;
}

// The text of a box, or corruption when its tag does not hold.
Result<std::string> aead_open(const DataKey& key, std::string_view aad, std::string_view box) {
  if (box.size() < kNonce + kTag) return Status::corruption("a sealed field is shorter than its nonce and tag");
  std::size_t n = box.size() - kNonce - kTag;
  std::string out(n, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  const unsigned char* b = uchars(box);
  EVP_CIPHER_CTX* c = cipher_ctx();
  int len = 0;
  unsigned char tag[kTag];
  std::memcpy(tag, b + kNonce + n, kTag);
  if (!c || !aes_256_gcm() || EVP_DecryptInit_ex2(c, aes_256_gcm(), key.data(), b, nullptr) != 1 ||
      EVP_DecryptUpdate(c, nullptr, &len, uchars(aad), static_cast<int>(aad.size())) != 1 ||
      EVP_DecryptUpdate(c, o, &len, b + kNonce, static_cast<int>(n)) != 1 ||
      EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, kTag, tag) != 1)
    return Status::internal("AES-256-GCM opening failed");
  if (EVP_DecryptFinal_ex(c, o + len, &len) != 1)
    return Status::corruption("a sealed field does not open under its key: it was changed, or sealed elsewhere");
  return out;
}

// The id's 4 bytes: the first of SHA-256("pl-master-key-1" ‖ key).
std::string id_bytes(const DataKey& key) {
  Hash h = sha256(std::string(kMasterTag) + std::string(chars(key.data(), key.size())));
  return std::string(chars(h.data(), 4));
}

}  // namespace pl::vault_crypto

namespace pl {

using namespace vault_crypto;

// ---- the master key

Result<MasterKey> MasterKey::generate() {
  MasterKey m;
  PL_RETURN_IF_ERROR(random_bytes(m.key.data(), m.key.size()));
  m.id = to_hex(id_bytes(m.key));
  return m;
}

MasterKey MasterKey::of(const DataKey& bytes) {
  MasterKey m;
  m.key = bytes;
  m.id = to_hex(id_bytes(m.key));
  return m;
}

std::string MasterKey::text() const {
  return std::string(kMasterTag) + " " + id + " " + note::base64(chars(key.data(), key.size())) + "\n";
}

Result<MasterKey> MasterKey::parse(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  std::istringstream in{std::string(text)};
  std::string tag, id, b64, extra;
  in >> tag >> id >> b64;
  if (tag != kMasterTag || id.size() != 8 || b64.empty() || (in >> extra))
    return Status::invalid("not a master key (\"pl-master-key-1 <id> <base64 key>\")");
  auto raw = note::unbase64(b64);
  if (!raw || raw->size() != 32) return Status::invalid("a master key is 32 bytes in base64");
  MasterKey m;
  std::memcpy(m.key.data(), raw->data(), 32);
  m.id = to_hex(id_bytes(m.key));
  if (m.id != id) return Status::invalid("the master key's id " + id + " is not its own (" + m.id + ")");
  return m;
}

Result<MasterKey> MasterKey::load(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Status::not_found("no master key in " + file);
  std::stringstream text;
  text << in.rdbuf();
  auto m = parse(text.str());
  if (!m) return Status::invalid(file + ": " + m.status().message());
  return m;
}

Status MasterKey::save(const std::string& file) const {
  std::string tmp = file + ".tmp";
  std::string body = text();
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::io_error("cannot write " + tmp);
  ::fchmod(fd, 0600);
  bool ok = ::write(fd, body.data(), body.size()) == static_cast<ssize_t>(body.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return Status::io_error("cannot write " + tmp);
  std::error_code ec;
  std::filesystem::rename(tmp, file, ec);
  if (ec) return Status::io_error("cannot put the master key in place: " + ec.message());
  std::string dir = std::filesystem::path(file).parent_path().string();
  int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Status::ok();
}

}  // namespace pl
