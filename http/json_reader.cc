#include "http/json_reader.h"

#include <cstdio>

namespace pl {

std::string text_problem(const std::string& s, std::size_t max, std::string* code) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    std::uint32_t cp = c;
    std::size_t len = 1;
    if (c >= 0xF0)
      len = 4, cp = c & 0x07;
    else if (c >= 0xE0)
      len = 3, cp = c & 0x0F;
    else if (c >= 0xC0)
      len = 2, cp = c & 0x1F;
    for (std::size_t k = 1; k < len && i + k < s.size(); ++k)
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || (cp >= 0x7F && cp <= 0x9F)) {
      char hex[16];
      std::snprintf(hex, sizeof hex, "U+%04X", cp);
      *code = "bad_request";
      return std::string("holds the control character ") + hex + " at character " + std::to_string(chars + 1) +
             " (only tab, newline and carriage return are allowed)";
    }
    i += len;
    ++chars;
  }
  if (chars > max) {
    *code = "too_long";
    return "is " + std::to_string(chars) + " characters long, more than the " + std::to_string(max) + " allowed";
  }
  return {};
}

}  // namespace pl
