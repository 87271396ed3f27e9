// Signed notes and checkpoints in the C2SP formats, so that tools written for
// transparency logs (the Go checksum database's golang.org/x/mod/sumdb/note,
// Sigstore, witnesses) read them as they are:
//
//  * c2sp.org/signed-note: a text (UTF-8, ending in a newline) followed by a
//    blank line and signature lines "— <key name> <base64(key id ‖ sig)>\n".
//    An Ed25519 key's id is the first 4 bytes of
//    SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key); its verifier key is written
//    "<name>+<key id, 8 hex digits>+<base64(0x01 ‖ public key)>", and a
//    private key "PRIVATE+KEY+<name>+<key id>+<base64(0x01 ‖ seed)>".
//  * c2sp.org/tlog-checkpoint: the text "<origin>\n<tree size>\n<base64 root>\n".
//
// Base64 is the standard alphabet with padding. Thread-safe: no shared state.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/sha256.h"
#include "base/status.h"

namespace pl::note {

std::string base64(std::string_view bytes);
// nullopt unless `text` is padded standard base64.
std::optional<std::string> unbase64(std::string_view text);

// An Ed25519 key pair with its name (the ledger's origin).
struct SigningKey {
  std::string name;
  std::array<std::uint8_t, 32> seed{};
  std::array<std::uint8_t, 32> public_key{};
  std::uint32_t id() const;
  // "<name>+<id>+<base64(0x01 ‖ public key)>"
  std::string verifier() const;
  // "PRIVATE+KEY+<name>+<id>+<base64(0x01 ‖ seed)>", as Go's note.GenerateKey writes it.
  std::string private_text() const;
};

// A new key from the system's random source. invalid_argument for a name
// that is empty or holds a space or a '+'.
Result<SigningKey> generate(std::string_view name);
// A key from its private text; invalid_argument if it is not one.
Result<SigningKey> parse_private(std::string_view text);

// A verifier key, parsed.
struct Verifier {
  std::string name;
  std::uint32_t id = 0;
  std::array<std::uint8_t, 32> public_key{};
};
Result<Verifier> parse_verifier(std::string_view text);

// `text` (which must end in a newline) signed by `key`, as a signed note.
std::string sign(std::string_view text, const SigningKey& key);

// The text of a signed note if a signature line verifies with one of
// `verifiers`; otherwise an error that says why (malformed, no signature by a
// known key, a signature that does not verify). Malformed: not ending in a
// newline, a control character other than a newline, not valid UTF-8
// (c2sp.org/signed-note), no blank line before the signatures, a signature
// line not "— <name> <base64>". `signer`, when given, receives the verifier
// that matched.
Result<std::string> open(std::string_view signed_note, const std::vector<Verifier>& verifiers,
                         Verifier* signer = nullptr);

// A tlog checkpoint's text, and its parse (origin, size, root; any further
// lines, which c2sp.org/tlog-checkpoint allows as extensions, are passed
// over, but must not be empty: the text is three or more non-empty lines).
struct Checkpoint {
  std::string origin;
  std::uint64_t size = 0;
  Hash root{};
};
std::string checkpoint_text(const Checkpoint& c);
Result<Checkpoint> parse_checkpoint(std::string_view text);

}  // namespace pl::note
