// POSIX ustar archives (the `ustar` interchange format of POSIX.1-2001,
// pax): the auditor's pack is one. Enough of the format to write regular
// files and directories and to read them back; nothing else.
//
// A member is a 512-byte header block, then its bytes padded with zeros to a
// whole number of blocks; the archive ends with two zero blocks. Numbers in a
// header are octal text; a size of 8 GiB or more is written in base 256 (the
// first byte 0x80, then the size big-endian), as GNU tar and bsdtar write and
// read it. The header's checksum is the sum of its bytes with the checksum
// field taken as eight spaces.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/sha256.h"
#include "base/status.h"

namespace pl::tar {

inline constexpr std::size_t kBlock = 512;

struct Entry {
  std::string name;  // the path in the archive ("dir/" for a directory)
  char type = '0';   // '0': a regular file, '5': a directory
  std::uint64_t size = 0;
  std::int64_t mtime = 0;  // seconds since 1970
  std::uint32_t mode = 0644;
};

// The header block of `e`. invalid_argument for a name that does not fit
// ustar's fields (100 bytes, or a prefix of up to 155 bytes and a name of up
// to 100 split at a '/') or a negative time.
Result<std::string> header(const Entry& e);
// How many zero bytes follow a member of `size` bytes.
std::size_t padding(std::uint64_t size);
// The end of the archive: two zero blocks.
std::string trailer();

// One header block read back: the entry; nullopt for a zero block (the end
// of the archive); invalid_argument, saying why, for a block that is not a
// ustar header (magic, checksum, a number that does not parse).
Result<std::optional<Entry>> parse_header(std::string_view block);

}  // namespace pl::tar
