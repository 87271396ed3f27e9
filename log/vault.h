// The keys that seal personal data, and sealing itself (docs/PRIVACY.md).
//
// Every natural person the ledger names is a subject, with a pseudonymous id
// ("mentee:amina", "staff:3f9c0a…") and a data key of 32 random bytes. A
// personal field of an event (a name, an e-mail address, free text) is not
// stored in clear: it is sealed, with AES-256-GCM, under the key of the set
// of subjects it belongs to, with the event's position, type and field as
// associated data. The log's hashes, its Merkle tree and every proof cover
// the sealed bytes only. Forgetting a subject destroys its data key: every
// field sealed for it can no longer be opened, by anyone, and nothing the
// proofs cover changes.
//
//   set key   := HKDF-Extract(salt = "pl-seal-1", IKM = k(s1) ‖ … ‖ k(sn))
//                (RFC 5869; s1 … sn the subjects in byte order, each once)
//   box       := nonce (12) ‖ AES-256-GCM(set key, text) ‖ tag (16)
//   nonce     := the first 12 bytes of HMAC-SHA-256(set key, "pl-nonce-1" ‖ aad ‖ text)
//   aad       := "pl-field-1" ‖ u64 position ‖ u16 type ‖ u16 field ‖ u32 n ‖ str s1 ‖ … ‖ str sn
//
// The nonce is synthetic (derived, as in SIV): the same text at the same
// place under the same keys is sealed to the same box, so the same commands
// give the same events, and sealing never depends on the random generator
// for a nonce. Two different texts get one nonce only if their MACs collide;
// the position in the associated data keeps equal texts at different places
// apart.
//   str       := u32 length ‖ bytes;  integers big-endian
//
// A text sealed for several subjects (a session's summary: its mentor's and
// its mentee's) cannot be opened once any one of them is forgotten.
//
// The data keys are kept in the store's column family `keys`, each wrapped
// (AES-256-GCM) by the master key, which is kept beside the store in
// DATA_DIR/master.key (mode 0600; never served; in a backup only when asked):
//
//   "s" ‖ subject  -> 0x01 ‖ master key id (4 bytes) ‖ nonce (12) ‖ wrapped key (32) ‖ tag (16)
//                     (aad "pl-key-1" ‖ subject); or, once destroyed,
//                     0x00 ‖ i64 destroyed_at_us
//   "p"            -> the staff pseudonym secret, wrapped as a key (aad "pl-key-1" ‖ "p")
//
// Thread safety: open(), erased() and the const members may be called from
// any thread; the members that write (seal, destroy, forget, rewrap) from the
// writer's thread, or with the server stopped.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "log/store.h"

namespace pl {

inline constexpr char kMasterKeyFile[] = "master.key";
// What a reader is shown in place of a field it may not read, or that can no
// longer be read.
inline constexpr std::string_view kErasedText = "[erased]";
inline constexpr std::string_view kUnreadableText = "[unreadable]";
// What is shown of a personal field where no vault opens it: an audit pack,
// which holds no personal data, and whatever is rendered without the keys.
inline constexpr std::string_view kSealedText = "[sealed]";

using DataKey = std::array<unsigned char, 32>;

// The master key: 32 bytes and an id (the first 4 bytes of the SHA-256 of
// "pl-master-key-1" ‖ key, 8 hexadecimal digits).
struct MasterKey {
  DataKey key{};
  std::string id;

  // A new random key.
  static Result<MasterKey> generate();
  // The key of these bytes, its id computed.
  static MasterKey of(const DataKey& bytes);
  // Its file's text: "pl-master-key-1 <id> <base64 of the 32 bytes>\n".
  std::string text() const;
  // Parses that text; invalid_argument (naming what is wrong) otherwise.
  static Result<MasterKey> parse(std::string_view text);
  // Reads `file`; not_found when there is none.
  static Result<MasterKey> load(const std::string& file);
  // Writes `file` for its owner alone (0600), durably (the file and its
  // directory synced), replacing any by rename.
  Status save(const std::string& file) const;
};

// Where a field is sealed: the associated data binds a box to its place.
struct FieldPlace {
  std::uint64_t position = 0;
  std::uint16_t type = 0;   // the event's type (its union tag)
  std::uint16_t field = 0;  // the field's vtable offset in its table; 0: the actor's name
};

// A subject's id for a member of staff: "staff:" and 20 hexadecimal digits of
// HMAC-SHA-256(the ledger's pseudonym secret, the name's kept form in ASCII
// lower case). One person, one id, however their name is spaced or cased;
// the name cannot be read back from it without the secret.

class Vault {
 public:
  // The vault of `store` (open for writing, or read-only: then nothing new
  // is made) under `master`. The store must outlive the vault.
  // Where a new data key (or the pseudonym secret) comes from: given the
  // key record's name ("s" ‖ subject, or "p"), fills the key. Random unless
  // given (tests give a fixed function, to get the same events twice).
  using KeySource = std::function<Status(std::string_view record, DataKey& out)>;
  Vault(Store& store, MasterKey master, KeySource new_key = {});
  ~Vault();
  // Opens the master key in DATA_DIR/master.key, making one when there is
  // none and `create` is set; not_found when there is none and it is not.
  static Result<std::unique_ptr<Vault>> open(const std::string& data_dir, Store& store, bool create);

  const MasterKey& master() const { return master_; }

  // Seals `text` for `subjects` (1 to 8, each a non-empty id without NUL)
  // at `place`, for an event of `batch`. A subject without a key gets one,
  // put in `batch`: the key is stored with the first event sealed under it,
  // or neither is (a rollback of the batch's mark drops both). Refuses
  // (conflict, "subject_erased") a subject whose key was destroyed.
  Result<std::string> seal(const FieldPlace& place, std::span<const std::string> subjects, std::string_view text,
                           Batch& batch);
  // Opens a box sealed so: its text, or nullopt when a subject's key has been
  // destroyed (or never existed). corruption when the box fails its tag.
  Result<std::optional<std::string>> open(const FieldPlace& place, std::span<const std::string> subjects,
                                          std::string_view box) const;

  // What a reader is shown of a field a fold kept: its text; kErasedText when
  // a subject's key has been destroyed; "" when it is empty; kUnreadableText
  // when it does not open (a key wrapped by another master key, a damaged box).
  std::string text(const SealedText& t) const;

  // Destroys `subject`'s key with `batch`: its record becomes the destroyed
  // mark when the batch commits. Call forget(subject) once it has, then
  // Store::purge_key_records().
  void destroy(Batch& batch, std::string_view subject, std::int64_t at_us) const;
  void forget(std::string_view subject);
  // Whether `subject`'s key may be destroyed with `batch`: not_found when the
  // ledger holds no key for them (nothing was ever sealed for them), conflict
  // "subject_erased" when it is destroyed already (in the store, or earlier
  // in `batch`).
  Status erasable(std::string_view subject, const Batch& batch) const;
  // Whether `subject`'s key has been destroyed.
  Result<bool> erased(std::string_view subject) const;
  // The subjects the ledger holds a key for, in byte order: with `erased`,
  // those whose key is destroyed instead.
  Result<std::vector<std::string>> subjects(bool erased = false) const;

  // The subject id of the member of staff named `name` (see above); makes
  // the ledger's pseudonym secret at first use. The writer's thread only.
  Result<std::string> staff_id(std::string_view name);

  // Wraps every data key and the pseudonym secret again under `next`, in
  // one synced write; the vault then uses `next`. Run with the server
  // stopped; `next` is saved by the caller once this has succeeded.
  Status rewrap(const MasterKey& next);
  // A new master key for the ledger in `data_dir` (this vault's store, the
  // server stopped): saved as master.key.next, every record rewrapped under
  // it, then put in master.key's place. open() finishes or forgets a
  // rotation that stopped half way. Returns the new key's id.
  Result<std::string> rotate_master(const std::string& data_dir);

 private:
  Result<std::optional<DataKey>> key_of(std::string_view subject) const;  // nullopt: none, or destroyed
  Result<DataKey> key_of_new(std::string_view subject, Batch& batch);
  Result<DataKey> pseudonym_secret();
  // The key of a set of subjects (set_name), kept once made of stored keys.
  std::optional<DataKey> cached_set_key(std::string_view name) const;
  void remember_set_key(std::string name, std::span<const std::string> subjects, const DataKey& key) const;
  static constexpr std::size_t kMaxSetKeys = 1 << 14, kMaxStaffIds = 1 << 12;

  Store& store_;
  MasterKey master_;
  KeySource new_key_;
  mutable std::shared_mutex mu_;
  mutable std::map<std::string, DataKey, std::less<>> keys_;      // unwrapped, as read
  mutable std::set<std::string, std::less<>> forgotten_;          // forgotten or destroyed: never kept in keys_ again
  mutable std::map<std::string, DataKey, std::less<>> set_keys_;  // by set_name; cleared by forget()
  std::map<std::string, std::string, std::less<>> staff_ids_;     // kept name -> id (the writer's thread only)
  struct Sealer;
  std::map<std::string, std::unique_ptr<Sealer>, std::less<>> sealers_;  // by set_name (the writer's thread only)
  std::string scratch_name_, scratch_aad_;                               // seal()'s, kept to spare allocations
  std::optional<DataKey> pseudonym_;
};

}  // namespace pl
