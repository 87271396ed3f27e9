// The stored form of one event (an Envelope FlatBuffer) and its hash.
//
// Every stored value is checked with the FlatBuffers verifier, and its payload
// with the Payload verifier, before any field is read: a value that fails is
// reported as corruption, never dereferenced.
//
// Thread safety: every function here may be called from any thread; an
// EventView or StoredEvent may be read from several threads at once.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/sha256.h"
#include "base/status.h"
#include "events_generated.h"

namespace pl {

inline constexpr std::uint16_t kSchemaVersion = 2;

// A personal field as stored (fb::SealedField), borrowed: `field` is the
// field's vtable offset in the event's table (0: the actor's name), `box` the
// sealed bytes (log/vault.h).
struct SealedRef {
  std::uint16_t field = 0;
  std::vector<std::string_view> subjects;
  std::string_view box;
};

// Who caused an event and in which command. `actor_id` is the actor's
// subject id (a pseudonym); the actor's name, like every personal field, is
// sealed, in `sealed`.
struct EventMeta {
  std::string actor_id;
  std::string actor_role;
  std::string idempotency_key;
  std::string correlation_id;
  std::string programme_id;
  std::uint32_t rules_version = 0;
  std::vector<SealedRef> sealed{};  // in increasing field order; views valid until the event is added
};

// A personal field as a fold keeps it: where it is, for whom, and its sealed
// bytes, never its text. A reader opens it with the vault (Vault::text);
// empty when the event had none.
struct SealedText {
  std::uint64_t position = 0;
  std::uint16_t type = 0, field = 0;
  // Its subjects and its box in one string, so that a text a read model
  // keeps costs one allocation: u32 n, n × (u32 length ‖ subject), the box
  // (integers big-endian). Empty: no such field.
  std::string packed;
  bool empty() const { return packed.empty(); }
  std::vector<std::string> subjects() const;
  std::string_view box() const;
  bool operator==(const SealedText&) const = default;
  template <class A>
  void io(A& a) {
    a(position, type, field, packed);
  }
};

// The canonical order of a sealed field's subjects: sorted, each once.
std::vector<std::string> subject_set(std::vector<std::string> subjects);

// The fields of an envelope, borrowed: the views must outlive the struct's
// use. `prev_hash` and `payload` are raw bytes; a `prev_hash` that is not 32
// bytes long is taken as 32 zero bytes (the first event's).
struct EnvelopeRef {
  std::uint64_t position = 0;
  std::string_view stream;
  std::uint64_t stream_version = 0;
  std::uint16_t type = 0;
  std::uint16_t schema_version = kSchemaVersion;
  std::int64_t recorded_at_us = 0;
  std::string_view actor_id;
  std::string_view actor_role;
  std::string_view idempotency_key;
  std::string_view correlation_id;
  std::string_view programme_id;
  std::uint32_t rules_version = 0;
  std::string_view prev_hash;
  std::string_view payload;
  std::vector<SealedRef> sealed;
};

// hash = SHA-256(canonical bytes); see the grammar at the top of envelope.cc.
// Depends on the field values only.
Hash envelope_hash(const EnvelopeRef& e);
// The canonical bytes themselves: envelope_hash(e) is their SHA-256, and that
// hash is the event's Merkle leaf data (log/merkle.h). Served to clients
// so that they hash what they are shown (docs/AUDIT.md).
std::string envelope_canonical(const EnvelopeRef& e);

// Returns the stored bytes (an Envelope FlatBuffer) of `e` with its hash,
// which is also stored in *hash (required, non-null).
std::string encode_envelope(const EnvelopeRef& e, Hash* hash);

// A verified, decoded event: pointers into bytes it does not own. It and
// every pointer or view its accessors return are valid while those bytes
// live unchanged. Obtain one from decode_event(), view_of_verified() on bytes
// decode_event() accepted, StoredEvent::view() or a Store scan.
struct EventView {
  const fb::Envelope* env = nullptr;
  const fb::Payload* payload = nullptr;
  // The whole envelope as stored: the bytes decode_event() or
  // view_of_verified() was given (empty in a view made otherwise).
  std::string_view stored;

  std::uint64_t position() const { return env->position(); }
  std::string_view stream() const { return sv(env->stream()); }
  std::uint64_t version() const { return env->stream_version(); }
  fb::Event type() const { return payload->event_type(); }
  std::string_view type_name() const { return fb::EnumNameEvent(type()); }
  std::int64_t recorded_at_us() const { return env->recorded_at_us(); }
  std::string_view hash_bytes() const { return bytes(env->hash()); }
  std::string_view prev_hash_bytes() const { return bytes(env->prev_hash()); }
  std::string_view payload_bytes() const { return bytes(env->payload()); }
  std::string_view programme_id() const { return sv(env->programme_id()); }
  std::string_view actor_id() const { return sv(env->actor_id()); }
  std::string_view actor_role() const { return sv(env->actor_role()); }
  EnvelopeRef ref() const;
  // The sealed field `field` (a vtable offset of the event's table; 0: the
  // actor's name), or nullptr when the event has none.
  const fb::SealedField* sealed(std::uint16_t field) const;
  // The same, as a fold keeps it (empty when there is none).
  SealedText text(std::uint16_t field) const;
  // The actor's name, sealed (field 0).
  SealedText actor_name() const { return text(0); }

  // The event as table T (fb::SessionLogged, ...); nullptr when the event is
  // of another type.
  template <typename T>
  const T* as() const {
    return payload->event_as<T>();
  }

  // A FlatBuffers string or byte vector as a view; empty for an absent field.
  static std::string_view sv(const flatbuffers::String* s) { return s ? s->string_view() : std::string_view(); }
  static std::string_view bytes(const flatbuffers::Vector<std::uint8_t>* v) {
    return v ? std::string_view(reinterpret_cast<const char*>(v->data()), v->size()) : std::string_view();
  }
};

// Verifies `bytes` as an Envelope whose payload is a valid Payload of the
// type the envelope names, and returns a view borrowing `bytes`; corruption
// if not. REQUIRES: `bytes` starts at an 8-byte aligned address (FlatBuffers
// are read in place). Does not check the hash, the position or the link to
// the event before (the store's reads do).
Result<EventView> decode_event(std::string_view bytes);

// The view of bytes that decode_event() has already accepted (e.g. on another
// thread); no verification is repeated. REQUIRES: decode_event(bytes) is ok;
// anything else is undefined behaviour.
EventView view_of_verified(std::string_view bytes);
// Verifies a Payload buffer on its own (as built by a command): OK, or
// corruption when it is not a Payload or holds no event.
Status verify_payload(std::string_view payload);

// An event with its own copy of the stored bytes (verified when made).
class StoredEvent {
 public:
  // Takes `bytes` if decode_event() accepts them; its error otherwise.
  static Result<StoredEvent> from_bytes(std::string bytes);
  // Valid while this StoredEvent lives and is not moved from or assigned to.
  EventView view() const;
  const std::string& bytes() const { return bytes_; }

 private:
  StoredEvent() = default;
  std::string bytes_;
};

// Names of the event types, as in the catalogue ("SessionLogged"); "" for a
// tag the catalogue does not name.
std::string_view event_type_name(fb::Event type);

}  // namespace pl
