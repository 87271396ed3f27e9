// Envelope encoding and the hash chain rule.
//
// The hash of an event is
//
//   hash := SHA-256(canonical)
//   canonical := "PLE2"
//                prev_hash            32 bytes (zeros before position 1)
//                u64 position
//                str stream
//                u64 stream_version
//                u16 type             the Event union tag
//                u16 schema_version
//                i64 recorded_at_us
//                str actor_id         the actor's subject id (the name is sealed)
//                str actor_role
//                str idempotency_key
//                str correlation_id
//                str programme_id
//                u32 rules_version
//                str payload          the Payload FlatBuffer, byte for byte as stored
//                u32 n                the sealed personal fields, then each:
//                  u16 field            its vtable offset in the event's table (0: the actor's name)
//                  u32 m                its subjects, then each: str subject
//                  str box              nonce ‖ AES-256-GCM ciphertext ‖ tag
//   str := u32 length, then the bytes;  all integers big-endian.
//
// So hash = SHA-256(previous hash ‖ canonical bytes of the envelope without its
// hash). The canonical bytes do not depend on how a FlatBuffers builder laid
// out the envelope, only on the field values, so a store can be re-encoded
// without breaking the chain; the payload's bytes are hashed as stored.
#include "log/envelope.h"

#include <algorithm>
#include <cstring>

namespace pl {
namespace {

const std::string_view kZeroHash("\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 32);

}  // namespace

namespace {

// The size of e's canonical bytes.
std::size_t canonical_size(const EnvelopeRef& e) {
  const std::string_view strs[] = {e.stream,         e.actor_id,     e.actor_role, e.idempotency_key,
                                   e.correlation_id, e.programme_id, e.payload};
  std::size_t size = 4 + 32 + 8 + 8 + 2 + 2 + 8 + 4 + 4;
  for (auto s : strs) size += 4 + s.size();
  for (const auto& f : e.sealed) {
    size += 2 + 4 + 4 + f.box.size();
    for (auto s : f.subjects) size += 4 + s.size();
  }
  return size;
}

// Lays out e's canonical bytes at `out`, which has room for
// canonical_size(e) of them; one writer for the hash and for the bytes
// served to clients (envelope_canonical), so the two cannot differ.
void write_canonical(const EnvelopeRef& e, char* out) {
  char* p = out;
  auto raw = [&](std::string_view s) {
    if (s.empty()) return;  // an empty view may hold no pointer at all
    std::memcpy(p, s.data(), s.size());
    p += s.size();
  };
  auto be = [&](std::uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) *p++ = static_cast<char>(v >> (8 * i));
  };
  auto str = [&](std::string_view s) {
    be(s.size(), 4);
    raw(s);
  };
  raw("PLE2");
  raw(e.prev_hash.size() == 32 ? e.prev_hash : kZeroHash);
  be(e.position, 8);
  str(e.stream);
  be(e.stream_version, 8);
  be(e.type, 2);
  be(e.schema_version, 2);
  be(static_cast<std::uint64_t>(e.recorded_at_us), 8);
  str(e.actor_id);
  str(e.actor_role);
  str(e.idempotency_key);
  str(e.correlation_id);
  str(e.programme_id);
  be(e.rules_version, 4);
  str(e.payload);
  be(e.sealed.size(), 4);
  for (const auto& f : e.sealed) {
    be(f.field, 2);
    be(f.subjects.size(), 4);
    for (auto s : f.subjects) str(s);
    str(f.box);
  }
}

}  // namespace

Hash envelope_hash(const EnvelopeRef& e) {
  // Hashed on every write and on every read, so the canonical bytes are laid
  // out in one pass into a buffer of their exact size (on the stack when
  // small), not appended byte by byte.
  std::size_t size = canonical_size(e);
  char stack[2048];
  std::string heap;
  char* out = stack;
  if (size > sizeof stack) {
    heap.resize(size);
    out = heap.data();
  }
  write_canonical(e, out);
  return sha256(std::string_view(out, size));
}

std::string envelope_canonical(const EnvelopeRef& e) {
  std::string out(canonical_size(e), '\0');
  write_canonical(e, out.data());
  return out;
}

std::string encode_envelope(const EnvelopeRef& e, Hash* hash) {
  *hash = envelope_hash(e);
  thread_local flatbuffers::FlatBufferBuilder b(512);
  b.Clear();
  auto u8 = [](std::string_view s) { return reinterpret_cast<const std::uint8_t*>(s.data()); };
  auto stream = b.CreateString(e.stream.data(), e.stream.size());
  auto actor_id = b.CreateString(e.actor_id.data(), e.actor_id.size());
  auto actor_role = b.CreateString(e.actor_role.data(), e.actor_role.size());
  auto key = b.CreateString(e.idempotency_key.data(), e.idempotency_key.size());
  auto corr = b.CreateString(e.correlation_id.data(), e.correlation_id.size());
  auto prog = b.CreateString(e.programme_id.data(), e.programme_id.size());
  std::string_view prev = e.prev_hash.size() == 32 ? e.prev_hash : kZeroHash;
  auto prev_v = b.CreateVector(u8(prev), prev.size());
  auto hash_v = b.CreateVector(hash->data(), hash->size());
  b.ForceVectorAlignment(e.payload.size(), 1, 8);  // nested buffers keep their alignment
  auto payload_v = b.CreateVector(u8(e.payload), e.payload.size());
  flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<fb::SealedField>>> sealed_v;
  if (!e.sealed.empty()) {
    std::vector<flatbuffers::Offset<fb::SealedField>> fields;
    fields.reserve(e.sealed.size());
    for (const auto& f : e.sealed) {
      std::vector<flatbuffers::Offset<flatbuffers::String>> subjects;
      for (auto s : f.subjects) subjects.push_back(b.CreateString(s.data(), s.size()));
      auto subjects_v = b.CreateVector(subjects);
      auto box_v = b.CreateVector(u8(f.box), f.box.size());
      fields.push_back(fb::CreateSealedField(b, f.field, subjects_v, box_v));
    }
    sealed_v = b.CreateVector(fields);
  }
  fb::EnvelopeBuilder eb(b);
  eb.add_position(e.position);
  eb.add_stream(stream);
  eb.add_stream_version(e.stream_version);
  eb.add_type(e.type);
  eb.add_schema_version(e.schema_version);
  eb.add_recorded_at_us(e.recorded_at_us);
  eb.add_actor_id(actor_id);
  eb.add_actor_role(actor_role);
  eb.add_idempotency_key(key);
  eb.add_correlation_id(corr);
  eb.add_programme_id(prog);
  eb.add_rules_version(e.rules_version);
  eb.add_prev_hash(prev_v);
  eb.add_hash(hash_v);
  eb.add_payload(payload_v);
  if (!e.sealed.empty()) eb.add_sealed(sealed_v);
  b.Finish(eb.Finish());
  return std::string(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
}

EnvelopeRef EventView::ref() const {
  EnvelopeRef r;
  r.position = env->position();
  r.stream = stream();
  r.stream_version = env->stream_version();
  r.type = env->type();
  r.schema_version = env->schema_version();
  r.recorded_at_us = env->recorded_at_us();
  r.actor_id = sv(env->actor_id());
  r.actor_role = sv(env->actor_role());
  r.idempotency_key = sv(env->idempotency_key());
  r.correlation_id = sv(env->correlation_id());
  r.programme_id = sv(env->programme_id());
  r.rules_version = env->rules_version();
  r.prev_hash = prev_hash_bytes();
  r.payload = payload_bytes();
  if (const auto* sealed = env->sealed()) {
    r.sealed.reserve(sealed->size());
    for (const auto* f : *sealed) {
      SealedRef s;
      s.field = f->field();
      for (const auto* subject : *f->subjects()) s.subjects.push_back(sv(subject));
      s.box = bytes(f->box());
      r.sealed.push_back(std::move(s));
    }
  }
  return r;
}

std::vector<std::string> subject_set(std::vector<std::string> subjects) {
  std::sort(subjects.begin(), subjects.end());
  subjects.erase(std::unique(subjects.begin(), subjects.end()), subjects.end());
  return subjects;
}

SealedText EventView::text(std::uint16_t field) const {
  SealedText t;
  const fb::SealedField* f = sealed(field);
  if (!f) return t;
  t.position = position();
  t.type = env->type();
  t.field = field;
  auto u32 = [&](std::size_t v) {
    for (int i = 3; i >= 0; --i) t.packed += static_cast<char>(v >> (8 * i));
  };
  std::string_view box = bytes(f->box());
  std::size_t size = 4 + box.size();
  for (const auto* s : *f->subjects()) size += 4 + s->size();
  t.packed.reserve(size);
  u32(f->subjects()->size());
  for (const auto* s : *f->subjects()) {
    u32(s->size());
    t.packed += sv(s);
  }
  t.packed += box;
  return t;
}

namespace {
// The subjects of a packed text, and where its box begins.
std::size_t unpack_subjects(std::string_view p, std::vector<std::string>* out) {
  auto u32 = [&](std::size_t at) {
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(p[at + i]);
    return std::size_t{v};
  };
  if (p.size() < 4) return p.size();
  std::size_t n = u32(0), at = 4;
  for (std::size_t i = 0; i < n && at + 4 <= p.size(); ++i) {
    std::size_t len = std::min(u32(at), p.size() - at - 4);
    if (out) out->emplace_back(p.substr(at + 4, len));
    at += 4 + len;
  }
  return std::min(at, p.size());
}
}  // namespace

std::vector<std::string> SealedText::subjects() const {
  std::vector<std::string> out;
  unpack_subjects(packed, &out);
  return out;
}

std::string_view SealedText::box() const {
  std::string_view p = packed;
  return p.substr(unpack_subjects(p, nullptr));
}

const fb::SealedField* EventView::sealed(std::uint16_t field) const {
  if (const auto* all = env->sealed())
    for (const auto* f : *all)
      if (f->field() == field) return f;
  return nullptr;
}

Status verify_payload(std::string_view payload) {
  flatbuffers::Verifier v(reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size());
  if (!v.VerifyBuffer<fb::Payload>(nullptr)) return Status::corruption("payload is not a valid Payload buffer");
  auto* p = flatbuffers::GetRoot<fb::Payload>(payload.data());
  if (p->event_type() == fb::Event::NONE || p->event() == nullptr) return Status::corruption("payload holds no event");
  return Status::ok();
}

Result<EventView> decode_event(std::string_view bytes) {
  flatbuffers::Verifier v(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  // VerifyBuffer also verifies the nested Payload buffer (nested_flatbuffer).
  if (!v.VerifyBuffer<fb::Envelope>(nullptr)) return Status::corruption("value is not a valid envelope");
  EventView ev;
  ev.stored = bytes;
  ev.env = flatbuffers::GetRoot<fb::Envelope>(bytes.data());
  if (ev.env->stream() == nullptr) return Status::corruption("envelope has no stream");
  if (ev.env->prev_hash() == nullptr || ev.env->prev_hash()->size() != 32 || ev.env->hash() == nullptr ||
      ev.env->hash()->size() != 32)
    return Status::corruption("envelope hashes are not 32 bytes");
  if (ev.env->payload() == nullptr) return Status::corruption("envelope has no payload");
  if (const auto* sealed = ev.env->sealed()) {
    int last = -1;
    for (const auto* f : *sealed) {
      if (f->subjects() == nullptr || f->subjects()->size() == 0 || f->box() == nullptr)
        return Status::corruption("a sealed field has no subjects or no box");
      for (const auto* s : *f->subjects())
        if (s == nullptr) return Status::corruption("a sealed field names an empty subject");
      if (static_cast<int>(f->field()) <= last)
        return Status::corruption("the sealed fields are not in increasing field order");
      last = f->field();
    }
  }
  ev.payload = ev.env->payload_nested_root();
  if (static_cast<std::uint16_t>(ev.payload->event_type()) != ev.env->type())
    return Status::corruption("envelope type does not match its payload");
  // The verifier accepts a union of type NONE with or without a value; an
  // event always has a type and a table (found by fuzzing: a NONE payload
  // with a value crashed the rendering of events).
  if (ev.payload->event_type() == fb::Event::NONE || ev.payload->event() == nullptr)
    return Status::corruption("payload has no event");
  return ev;
}

EventView view_of_verified(std::string_view bytes) {
  EventView v;
  v.stored = bytes;
  v.env = flatbuffers::GetRoot<fb::Envelope>(bytes.data());
  v.payload = v.env->payload_nested_root();
  return v;
}

Result<StoredEvent> StoredEvent::from_bytes(std::string bytes) {
  auto v = decode_event(bytes);
  if (!v) return v.status();
  StoredEvent e;
  e.bytes_ = std::move(bytes);
  return e;
}

EventView StoredEvent::view() const { return view_of_verified(bytes_); }

std::string_view event_type_name(fb::Event type) { return fb::EnumNameEvent(type); }

}  // namespace pl
