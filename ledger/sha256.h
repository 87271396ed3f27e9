// SHA-256 with OpenSSL's SHA-256 functions (the CPU's SHA instructions where
// there are some). Thread-safe: no state is shared.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

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

}  // namespace pl
