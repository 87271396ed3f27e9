#include "log/store_format.h"

namespace pl::store_format {

std::string encode_head(const Head& h) {
  std::string s;
  put_u64(s, h.position);
  s.append(reinterpret_cast<const char*>(h.hash.data()), h.hash.size());
  put_u64(s, static_cast<std::uint64_t>(h.recorded_at_us));
  coding::put_u16(s, kSchemaVersion);
  return s;
}

bool decode_head(std::string_view s, Head* h) {
  if (s.size() != 8 + 32 + 8 + 2) return false;
  h->position = get_u64(s.data());
  std::memcpy(h->hash.data(), s.data() + 8, 32);
  h->recorded_at_us = static_cast<std::int64_t>(get_u64(s.data() + 40));
  return true;
}

std::string encode_mark(const Head& h) {
  return std::string(kMarkMagic) + "\n" + std::to_string(h.position) + " " + to_hex(h.hash) + "\n";
}

bool decode_mark(const std::string& text, Head* h) {
  std::string magic(kMarkMagic);
  if (text.compare(0, magic.size() + 1, magic + "\n") != 0) return false;
  std::string rest = text.substr(magic.size() + 1);
  auto sp = rest.find(' ');
  if (sp == std::string::npos || sp == 0 || sp > 20 || rest.size() != sp + 1 + 64 + 1 || rest.back() != '\n')
    return false;
  std::uint64_t pos = 0;
  for (std::size_t i = 0; i < sp; ++i) {
    if (rest[i] < '0' || rest[i] > '9') return false;
    pos = pos * 10 + static_cast<std::uint64_t>(rest[i] - '0');
  }
  h->position = pos;
  return from_hex(rest.substr(sp + 1, 64), &h->hash);
}

std::string encode_command(const CommandRecord& r) {
  std::string s(reinterpret_cast<const char*>(r.fingerprint.data()), r.fingerprint.size());
  put_u32(s, static_cast<std::uint32_t>(r.id.size()));
  s += r.id;
  put_u32(s, static_cast<std::uint32_t>(r.positions.size()));
  for (auto p : r.positions) put_u64(s, p);
  return s;
}

bool decode_command(std::string_view s, CommandRecord* r) {
  if (s.size() < 32 + 4) return false;
  std::memcpy(r->fingerprint.data(), s.data(), 32);
  std::size_t off = 32;
  std::uint32_t n = get_u32(s.data() + off);
  off += 4;
  if (s.size() < off + n + 4) return false;
  r->id.assign(s.data() + off, n);
  off += n;
  std::uint32_t count = get_u32(s.data() + off);
  off += 4;
  if (s.size() != off + std::size_t{count} * 8) return false;
  r->positions.clear();
  for (std::uint32_t i = 0; i < count; ++i) r->positions.push_back(get_u64(s.data() + off + 8 * i));
  return true;
}

Status from_rocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return Status::ok();
  std::string msg(what);
  msg += ": ";
  msg += s.ToString();
  if (s.IsCorruption()) return Status::corruption(std::move(msg));
  if (s.IsNotFound()) return Status::not_found(std::move(msg));
  return Status::io_error(std::move(msg));
}

std::string_view view(const rocksdb::Slice& s) { return std::string_view(s.data(), s.size()); }

// FlatBuffers are read in place and need their natural alignment; values
// under a RocksDB iterator have none, so a misaligned one is copied to `buf`.
std::string_view aligned(const rocksdb::Slice& s, std::string& buf) {
  if (reinterpret_cast<std::uintptr_t>(s.data()) % 8 == 0) return view(s);
  buf.assign(s.data(), s.size());
  return buf;
}

Status corrupt_at(std::string_view key, const std::string& what) {
  std::uint64_t pos = key.size() == 8 ? get_u64(key.data()) : 0;
  return Status::corruption("event at position " + std::to_string(pos) + ": " + what);
}

Status check_position(const EventView& ev, std::string_view key) {
  if (key.size() != 8 || ev.position() != get_u64(key.data()))
    return corrupt_at(key, "it holds position " + std::to_string(ev.position()) + std::string(kAltered));
  return Status::ok();
}

// Called once check_position() passed: the event's own position names it.
Status check_hash(const EventView& ev) {
  Hash h = envelope_hash(ev.ref());
  if (ev.hash_bytes() != bytes_of(h))
    return Status::corruption("event at position " + std::to_string(ev.position()) + ": its contents hash to " +
                              to_hex(h) + ", not to its stored hash " + to_hex(ev.hash_bytes()) +
                              std::string(kAltered));
  return Status::ok();
}

Status check_stored(const EventView& ev, std::string_view key) {
  PL_RETURN_IF_ERROR(check_position(ev, key));
  return check_hash(ev);
}

// The decoded, checked event stored under `key`, borrowed from `bytes`...
Result<EventView> decode_stored(std::string_view bytes, std::string_view key) {
  auto ev = decode_event(bytes);
  if (!ev) return corrupt_at(key, ev.status().message());
  PL_RETURN_IF_ERROR(check_stored(*ev, key));
  return ev;
}

// ... or owning them.
Result<StoredEvent> stored_event(std::string bytes, std::string_view key) {
  auto ev = StoredEvent::from_bytes(std::move(bytes));
  if (!ev) return corrupt_at(key, ev.status().message());
  PL_RETURN_IF_ERROR(check_stored(ev->view(), key));
  return ev;
}

}  // namespace pl::store_format
