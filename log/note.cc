#include "log/note.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstring>
#include <memory>
#include <stdexcept>

namespace pl::note {
namespace {

constexpr std::uint8_t kAlgEd25519 = 0x01;
constexpr std::string_view kDash = "\xe2\x80\x94 ";  // "— ", U+2014 and a space

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

bool valid_name(std::string_view name) {
  if (name.empty()) return false;
  for (unsigned char c : name)
    if (c <= ' ' || c == '+') return false;
  return true;
}

std::string hex8(std::uint32_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s(8, '0');
  for (int i = 7; i >= 0; --i, v >>= 4) s[static_cast<std::size_t>(i)] = kDigits[v & 0xf];
  return s;
}

std::uint32_t key_id(std::string_view name, const std::array<std::uint8_t, 32>& pub) {
  std::string buf(name);
  buf.push_back('\n');
  buf.push_back(static_cast<char>(kAlgEd25519));
  buf.append(reinterpret_cast<const char*>(pub.data()), pub.size());
  Hash h = sha256(buf);
  return std::uint32_t{h[0]} << 24 | std::uint32_t{h[1]} << 16 | std::uint32_t{h[2]} << 8 | h[3];
}

std::string u32_be(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

bool parse_hex8(std::string_view s, std::uint32_t* out) {
  if (s.size() != 8) return false;
  std::uint32_t v = 0;
  for (char c : s) {
    int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
    if (d < 0) return false;
    v = v << 4 | static_cast<std::uint32_t>(d);
  }
  *out = v;
  return true;
}

// At most `max` parts: the last one keeps the rest (base64 holds '+').
std::vector<std::string_view> split(std::string_view s, char sep, std::size_t max = ~std::size_t{0}) {
  std::vector<std::string_view> out;
  std::size_t at = 0;
  for (;;) {
    std::size_t next = out.size() + 1 == max ? std::string_view::npos : s.find(sep, at);
    out.push_back(s.substr(at, next - at));
    if (next == std::string_view::npos) break;
    at = next + 1;
  }
  return out;
}

bool verify_ed25519(const std::array<std::uint8_t, 32>& pub, std::string_view msg, std::string_view sig) {
  std::unique_ptr<EVP_PKEY, PkeyFree> key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, pub.data(), 32));
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (!key || !ctx || sig.size() != 64) return false;
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1) return false;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                          reinterpret_cast<const unsigned char*>(msg.data()), msg.size()) == 1;
}

// Whether `s` is well-formed UTF-8 (RFC 3629): no overlong form, no
// surrogate, nothing above U+10FFFF; as Go's utf8.Valid.
bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      ++i;
      continue;
    }
    std::size_t n = 0;
    unsigned char lo = 0x80, hi = 0xbf;  // the range of the second byte
    if (b >= 0xc2 && b <= 0xdf) {
      n = 1;
    } else if (b >= 0xe0 && b <= 0xef) {
      n = 2;
      if (b == 0xe0) lo = 0xa0;  // overlong
      if (b == 0xed) hi = 0x9f;  // surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      n = 3;
      if (b == 0xf0) lo = 0x90;  // overlong
      if (b == 0xf4) hi = 0x8f;  // above U+10FFFF
    } else {
      return false;
    }
    if (s.size() - i <= n) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      auto c = static_cast<unsigned char>(s[i + k]);
      if (k == 1 ? (c < lo || c > hi) : (c < 0x80 || c > 0xbf)) return false;
    }
    i += n + 1;
  }
  return true;
}

Result<SigningKey> from_seed(std::string_view name, const std::uint8_t* seed) {
  std::unique_ptr<EVP_PKEY, PkeyFree> key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed, 32));
  if (!key) return Status::internal("OpenSSL refused an Ed25519 seed");
  SigningKey k;
  k.name = std::string(name);
  std::memcpy(k.seed.data(), seed, 32);
  std::size_t len = 32;
  if (EVP_PKEY_get_raw_public_key(key.get(), k.public_key.data(), &len) != 1 || len != 32)
    return Status::internal("OpenSSL gave no Ed25519 public key");
  return k;
}

}  // namespace

std::string base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::optional<std::string> unbase64(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' ||
              (c == '=' && i + 2 >= text.size());
    if (!ok) return std::nullopt;
  }
  std::string out(text.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  std::size_t pad = 0;
  if (!text.empty() && text.back() == '=') pad = text[text.size() - 2] == '=' ? 2 : 1;
  if (pad == 2 && text[text.size() - 1] != '=') return std::nullopt;
  out.resize(static_cast<std::size_t>(n) - pad);
  // Only the canonical encoding: encoding again gives the same text.
  if (base64(out) != text) return std::nullopt;
  return out;
}

std::uint32_t SigningKey::id() const { return key_id(name, public_key); }

std::string SigningKey::verifier() const {
  std::string raw(1, static_cast<char>(kAlgEd25519));
  raw.append(reinterpret_cast<const char*>(public_key.data()), 32);
  return name + "+" + hex8(id()) + "+" + base64(raw);
}

std::string SigningKey::private_text() const {
  std::string raw(1, static_cast<char>(kAlgEd25519));
  raw.append(reinterpret_cast<const char*>(seed.data()), 32);
  return "PRIVATE+KEY+" + name + "+" + hex8(id()) + "+" + base64(raw);
}

Result<SigningKey> generate(std::string_view name) {
  if (!valid_name(name)) return Status::invalid("a key name is not empty and holds no space or '+'");
  std::array<std::uint8_t, 32> seed{};
  if (RAND_bytes(seed.data(), 32) != 1) return Status::internal("no random bytes from OpenSSL");
  return from_seed(name, seed.data());
}

Result<SigningKey> parse_private(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  auto parts = split(text, '+', 5);
  std::uint32_t id = 0;
  if (parts.size() != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY" || !valid_name(parts[2]) ||
      !parse_hex8(parts[3], &id))
    return Status::invalid("not a private key: PRIVATE+KEY+<name>+<id>+<base64>");
  auto raw = unbase64(parts[4]);
  if (!raw || raw->size() != 33 || static_cast<std::uint8_t>((*raw)[0]) != kAlgEd25519)
    return Status::invalid("the private key is not an Ed25519 key");
  auto key = from_seed(parts[2], reinterpret_cast<const std::uint8_t*>(raw->data() + 1));
  if (!key) return key;
  if (key->id() != id) return Status::invalid("the private key's id does not match its key");
  return key;
}

Result<Verifier> parse_verifier(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  auto parts = split(text, '+', 3);
  Verifier v;
  if (parts.size() != 3 || !valid_name(parts[0]) || !parse_hex8(parts[1], &v.id))
    return Status::invalid("not a verifier key: <name>+<id>+<base64>");
  auto raw = unbase64(parts[2]);
  if (!raw || raw->size() != 33 || static_cast<std::uint8_t>((*raw)[0]) != kAlgEd25519)
    return Status::invalid("the verifier key is not an Ed25519 key");
  v.name = std::string(parts[0]);
  std::memcpy(v.public_key.data(), raw->data() + 1, 32);
  if (key_id(v.name, v.public_key) != v.id) return Status::invalid("the verifier key's id does not match its key");
  return v;
}

std::string sign(std::string_view text, const SigningKey& key) {
  std::unique_ptr<EVP_PKEY, PkeyFree> pkey(
      EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, key.seed.data(), 32));
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  std::array<unsigned char, 64> sig{};
  std::size_t len = sig.size();
  if (!pkey || !ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) != 1 ||
      EVP_DigestSign(ctx.get(), sig.data(), &len, reinterpret_cast<const unsigned char*>(text.data()), text.size()) !=
          1 ||
      len != 64)
    throw std::runtime_error("Ed25519 signing failed in OpenSSL");
  std::string raw = u32_be(key.id());
  raw.append(reinterpret_cast<const char*>(sig.data()), 64);
  std::string out(text);
  out += "\n";
  out += kDash;
  out += key.name + " " + base64(raw) + "\n";
  return out;
}

Result<std::string> open(std::string_view signed_note, const std::vector<Verifier>& verifiers, Verifier* signer) {
  if (signed_note.empty() || signed_note.back() != '\n') return Status::invalid("a signed note ends with a newline");
  for (unsigned char c : signed_note)
    if (c < 0x20 && c != '\n') return Status::invalid("a signed note holds no control characters but newlines");
  // c2sp.org/signed-note: the note is UTF-8 text (Go's note.Open refuses
  // anything else, so a note this opens opens there too).
  if (!valid_utf8(signed_note)) return Status::invalid("a signed note is valid UTF-8");
  std::size_t split_at = signed_note.rfind("\n\n");
  if (split_at == std::string_view::npos)
    return Status::invalid("a signed note has a blank line before its signatures");
  std::string_view text = signed_note.substr(0, split_at + 1);
  std::string_view sigs = signed_note.substr(split_at + 2);
  bool any = false, known = false;
  while (!sigs.empty()) {
    std::size_t eol = sigs.find('\n');
    std::string_view line = sigs.substr(0, eol);
    sigs.remove_prefix(eol + 1);
    if (line.substr(0, kDash.size()) != kDash) return Status::invalid("a signature line starts with \"— \"");
    line.remove_prefix(kDash.size());
    std::size_t sp = line.find(' ');
    if (sp == std::string_view::npos) return Status::invalid("a signature line is \"— <name> <signature>\"");
    std::string_view name = line.substr(0, sp);
    auto raw = unbase64(line.substr(sp + 1));
    if (!raw || raw->size() < 5) return Status::invalid("a signature is base64 of a key id and a signature");
    any = true;
    std::uint32_t id = static_cast<std::uint32_t>(static_cast<std::uint8_t>((*raw)[0])) << 24 |
                       static_cast<std::uint32_t>(static_cast<std::uint8_t>((*raw)[1])) << 16 |
                       static_cast<std::uint32_t>(static_cast<std::uint8_t>((*raw)[2])) << 8 |
                       static_cast<std::uint8_t>((*raw)[3]);
    for (const Verifier& v : verifiers) {
      if (v.name != name || v.id != id) continue;
      known = true;
      if (!verify_ed25519(v.public_key, text, std::string_view(*raw).substr(4)))
        return Status::make(
            Kind::invalid_argument, "bad_signature",
            "the signature of key " + v.name + "+" + hex8(v.id) + " does not verify: the note was changed");
      if (signer) *signer = v;
      return std::string(text);
    }
  }
  if (!any) return Status::invalid("the note has no signature");
  (void)known;
  return Status::make(Kind::invalid_argument, "unknown_key", "no signature on the note is by a key given");
}

std::string checkpoint_text(const Checkpoint& c) {
  return c.origin + "\n" + std::to_string(c.size) + "\n" + base64(bytes_of(c.root)) + "\n";
}

Result<Checkpoint> parse_checkpoint(std::string_view text) {
  auto lines = split(text, '\n');
  // origin, size, root, then extension lines, then the empty string after the last newline.
  if (lines.size() < 4 || !lines.back().empty()) return Status::invalid("a checkpoint has three lines or more");
  Checkpoint c;
  c.origin = std::string(lines[0]);
  if (c.origin.empty()) return Status::invalid("a checkpoint's first line names its origin");
  std::string_view size = lines[1];
  if (size.empty() || size.size() > 19 || (size.size() > 1 && size[0] == '0'))
    return Status::invalid("a checkpoint's second line is its tree size in decimal");
  for (char ch : size) {
    if (ch < '0' || ch > '9') return Status::invalid("a checkpoint's second line is its tree size in decimal");
    c.size = c.size * 10 + static_cast<std::uint64_t>(ch - '0');
  }
  auto root = unbase64(lines[2]);
  if (!root || root->size() != 32) return Status::invalid("a checkpoint's third line is its root hash in base64");
  std::memcpy(c.root.data(), root->data(), 32);
  // c2sp.org/tlog-checkpoint: the text is three or more non-empty lines; an
  // extension line may be anything but empty.
  for (std::size_t i = 3; i + 1 < lines.size(); ++i)
    if (lines[i].empty()) return Status::invalid("a checkpoint's extension lines are not empty");
  return c;
}

}  // namespace pl::note
