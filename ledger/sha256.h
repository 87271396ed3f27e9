// SHA-256 over OpenSSL's EVP interface. Thread-safe: each thread keeps its
// own digest context.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace pl {

using Hash = std::array<std::uint8_t, 32>;

Hash sha256(std::string_view bytes);
std::string to_hex(const Hash& h);
std::string to_hex(std::string_view bytes);
// Parses 64 hex digits; false if the text is not that.
bool from_hex(std::string_view hex, Hash* out);

}  // namespace pl
