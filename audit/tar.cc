#include "audit/tar.h"

#include <cstring>
#include <stdexcept>

namespace pl::tar {
namespace {

// Header fields: offset and length.
struct Field {
  std::size_t off, len;
};
constexpr Field kName{0, 100}, kMode{100, 8}, kUid{108, 8}, kGid{116, 8}, kSize{124, 12}, kMtime{136, 12},
    kChksum{148, 8}, kType{156, 1}, kMagic{257, 6}, kVersion{263, 2}, kUname{265, 32}, kGname{297, 32},
    kPrefix{345, 155};

void put_text(std::string& block, Field f, std::string_view text) {
  if (!text.empty()) std::memcpy(block.data() + f.off, text.data(), std::min(text.size(), f.len));
}

// `value` as octal digits filling the field but its last byte (a NUL).
bool put_octal(std::string& block, Field f, std::uint64_t value) {
  std::size_t digits = f.len - 1;
  for (std::size_t i = digits; i-- > 0;) {
    block[f.off + i] = static_cast<char>('0' + (value & 7));
    value >>= 3;
  }
  return value == 0;
}

std::string_view field(std::string_view block, Field f) { return block.substr(f.off, f.len); }

// A NUL-terminated text field (not terminated when it fills the field).
std::string_view text_of(std::string_view block, Field f) {
  std::string_view s = field(block, f);
  return s.substr(0, std::min(s.find('\0'), s.size()));
}

// An octal number, with leading spaces and a trailing NUL or space allowed;
// or base 256 (first byte 0x80).
std::optional<std::uint64_t> number(std::string_view s) {
  if (!s.empty() && static_cast<unsigned char>(s[0]) == 0x80) {
    std::uint64_t v = 0;
    for (std::size_t i = 1; i < s.size(); ++i) {
      if (v >> 56) return std::nullopt;
      v = (v << 8) | static_cast<unsigned char>(s[i]);
    }
    return v;
  }
  std::size_t i = 0;
  while (i < s.size() && s[i] == ' ') ++i;
  std::uint64_t v = 0;
  bool any = false;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '7'; ++i) {
    if (v >> 60) return std::nullopt;
    v = (v << 3) | static_cast<std::uint64_t>(s[i] - '0');
    any = true;
  }
  for (; i < s.size(); ++i)
    if (s[i] != '\0' && s[i] != ' ') return std::nullopt;
  if (!any) return std::nullopt;
  return v;
}

std::uint64_t checksum(std::string_view block) {
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < kBlock; ++i)
    sum += (i >= kChksum.off && i < kChksum.off + kChksum.len) ? ' ' : static_cast<unsigned char>(block[i]);
  return sum;
}

}  // namespace

Result<std::string> header(const Entry& e) {
  std::string block(kBlock, '\0');
  std::string_view name = e.name, prefix;
  if (name.size() > kName.len) {
    // Split at a '/' so that the prefix fits 155 bytes and the rest 100.
    std::size_t cut = std::string_view::npos;
    for (std::size_t i = std::min(name.size() - 1, kPrefix.len); i > 0; --i)
      if (name[i] == '/' && name.size() - i - 1 <= kName.len) {
        cut = i;
        break;
      }
    if (cut == std::string_view::npos) return Status::invalid("the name '" + e.name + "' does not fit a ustar header");
    prefix = name.substr(0, cut);
    name = name.substr(cut + 1);
  }
  if (e.mtime < 0) return Status::invalid("a negative time for '" + e.name + "'");
  put_text(block, kName, name);
  put_text(block, kPrefix, prefix);
  (void)put_octal(block, kMode, e.mode & 07777);
  (void)put_octal(block, kUid, 0);
  (void)put_octal(block, kGid, 0);
  if (!put_octal(block, kSize, e.size)) {
    // 8 GiB or more: base 256.
    block[kSize.off] = static_cast<char>(0x80);
    for (std::size_t i = 1; i < kSize.len; ++i)
      block[kSize.off + i] = static_cast<char>(i < 4 ? 0 : (e.size >> (8 * (kSize.len - 1 - i))) & 0xff);
  }
  if (!put_octal(block, kMtime, static_cast<std::uint64_t>(e.mtime)))
    return Status::invalid("a time beyond ustar's for '" + e.name + "'");
  block[kType.off] = e.type;
  put_text(block, kMagic, std::string_view("ustar\0", 6));
  put_text(block, kVersion, "00");
  put_text(block, kUname, "ledger");
  put_text(block, kGname, "ledger");
  // Six octal digits, a NUL and a space.
  std::uint64_t sum = checksum(block);
  for (int i = 5; i >= 0; --i) {
    block[kChksum.off + static_cast<std::size_t>(i)] = static_cast<char>('0' + (sum & 7));
    sum >>= 3;
  }
  block[kChksum.off + 6] = '\0';
  block[kChksum.off + 7] = ' ';
  return block;
}

std::size_t padding(std::uint64_t size) { return static_cast<std::size_t>((kBlock - size % kBlock) % kBlock); }

std::string trailer() { return std::string(2 * kBlock, '\0'); }

Result<std::optional<Entry>> parse_header(std::string_view block) {
  if (block.size() != kBlock) return Status::invalid("a header block is cut short");
  if (block.find_first_not_of('\0') == std::string_view::npos) return std::optional<Entry>();
  std::string_view magic = field(block, kMagic);
  if (magic.substr(0, 5) != "ustar") return Status::invalid("not a ustar header (no 'ustar' magic)");
  auto sum = number(field(block, kChksum));
  if (!sum) return Status::invalid("the header's checksum field does not parse");
  // Some writers summed signed bytes; both sums are accepted.
  std::int64_t signed_sum = 0;
  for (std::size_t i = 0; i < kBlock; ++i)
    signed_sum += (i >= kChksum.off && i < kChksum.off + kChksum.len) ? ' ' : static_cast<signed char>(block[i]);
  if (*sum != checksum(block) && static_cast<std::int64_t>(*sum) != signed_sum)
    return Status::invalid("the header's checksum is " + std::to_string(*sum) + ", its bytes sum to " +
                           std::to_string(checksum(block)));
  Entry e;
  std::string_view name = text_of(block, kName), prefix = text_of(block, kPrefix);
  e.name = prefix.empty() ? std::string(name) : std::string(prefix) + "/" + std::string(name);
  e.type = block[kType.off] == '\0' ? '0' : block[kType.off];
  auto size = number(field(block, kSize));
  auto mtime = number(field(block, kMtime));
  auto mode = number(field(block, kMode));
  if (!size || !mtime || !mode) return Status::invalid("a number of the header of '" + e.name + "' does not parse");
  e.size = *size;
  e.mtime = static_cast<std::int64_t>(*mtime);
  e.mode = static_cast<std::uint32_t>(*mode & 07777);
  return std::optional<Entry>(std::move(e));
}

}  // namespace pl::tar
