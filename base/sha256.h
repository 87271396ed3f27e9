// SHA-256 with OpenSSL's SHA-256 functions (the CPU's SHA instructions where
// there are some). Thread-safe: no state is shared.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

struct SHA256state_st;  // OpenSSL's SHA256_CTX

namespace pl {

using Hash = std::array<std::uint8_t, 32>;

// Throws std::runtime_error only if OpenSSL itself fails.
Hash sha256(std::string_view bytes);
// The 32 bytes of a hash, as compared with the hashes stored in envelopes.
inline std::string_view bytes_of(const Hash& h) {
  return std::string_view(reinterpret_cast<const char*>(h.data()), h.size());
}
// Lower-case hexadecimal, two digits a byte.
std::string to_hex(const Hash& h);
std::string to_hex(std::string_view bytes);
// Parses 64 hex digits (either case) into *out; false if the text is not
// that, and *out may then be partly written.
bool from_hex(std::string_view hex, Hash* out);

// SHA-256 over bytes given piece by piece (an evidence upload, a document
// read a piece at a time, a file of an audit pack): the same digest as
// sha256() of the pieces joined. A value used by one thread at a time.
class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  Sha256Stream(Sha256Stream&&) noexcept;
  Sha256Stream& operator=(Sha256Stream&&) noexcept;
  void update(std::string_view bytes);
  // The digest of everything given since the start or the last finish();
  // the stream then starts again.
  Hash finish();

 private:
  std::unique_ptr<::SHA256state_st> ctx_;
};

}  // namespace pl
