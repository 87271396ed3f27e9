#include "log/vault.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "log/vault_crypto.h"

namespace pl {

using namespace vault_crypto;

// A set key made ready to seal under, for the writer's thread: AES-256-GCM's
// key schedule and HMAC's keyed state are made once per set, not per field.
// It seals exactly as aead_seal(key, aad, text, synthetic = true) does.
struct Vault::Sealer {
  EVP_CIPHER_CTX* cipher = EVP_CIPHER_CTX_new();
  EVP_MAC_CTX* mac = new_hmac_ctx();
  ~Sealer() {
    EVP_CIPHER_CTX_free(cipher);
    EVP_MAC_CTX_free(mac);
  }
  bool init(const DataKey& key) {
    return cipher && mac && aes_256_gcm() && EVP_MAC_init(mac, key.data(), key.size(), nullptr) == 1 &&
           EVP_EncryptInit_ex2(cipher, aes_256_gcm(), key.data(), nullptr, nullptr) == 1;
  }
  Result<std::string> seal(std::string_view aad, std::string_view text) {
    std::string out(kNonce + text.size() + kTag, '\0');
    auto* o = reinterpret_cast<unsigned char*>(out.data());
    unsigned char nonce[32];
    // EVP_MAC_init without a key starts again under the key it was given.
    if (EVP_MAC_init(mac, nullptr, 0, nullptr) != 1 || !hmac_rest(mac, {"pl-nonce-1", aad, text}, nonce))
      return Status::internal("HMAC-SHA-256 failed");
    std::memcpy(o, nonce, kNonce);
    if (!gcm_seal_into(cipher, nullptr, aad, text, o)) return Status::internal("AES-256-GCM sealing failed");
    return out;
  }
};

namespace {

constexpr std::string_view kPseudonymRecord = "p";

std::string subject_record(std::string_view subject) { return "s" + std::string(subject); }

// Whether a key record's value is the mark of a destroyed key.
bool destroyed_mark(std::string_view value) { return !value.empty() && value[0] == '\0'; }

std::string wrap_aad(std::string_view record) { return "pl-key-1" + std::string(record); }

Result<std::string> wrap(const MasterKey& m, std::string_view record, const DataKey& key) {
  auto box = aead_seal(m.key, wrap_aad(record), chars(key.data(), key.size()));
  if (!box) return box.status();
  return "\x01" + id_bytes(m.key) + *box;
}

// nullopt: the destroyed mark.
Result<std::optional<DataKey>> unwrap(const MasterKey& m, std::string_view record, std::string_view value) {
  if (destroyed_mark(value)) return std::optional<DataKey>();
  if (value.size() != 1 + 4 + kNonce + 32 + kTag || value[0] != '\x01')
    return Status::corruption("the key record " + to_hex(record) + " is not a wrapped key");
  if (to_hex(value.substr(1, 4)) != m.id)
    return Status::invalid("the key record " + to_hex(record) + " is wrapped by master key " +
                           to_hex(value.substr(1, 4)) + ", not by " + m.id +
                           " (DATA_DIR/master.key is another ledger's, or an older one)");
  auto key = aead_open(m.key, wrap_aad(record), value.substr(5));
  if (!key) return key.status();
  DataKey k;
  std::memcpy(k.data(), key->data(), k.size());
  return std::optional<DataKey>(k);
}

void field_aad_into(const FieldPlace& at, std::span<const std::string> subjects, std::string& aad) {
  aad = "pl-field-1";
  be(aad, at.position, 8);
  be(aad, at.type, 2);
  be(aad, at.field, 2);
  be(aad, subjects.size(), 4);
  for (auto& s : subjects) str(aad, s);
}
std::string field_aad(const FieldPlace& at, std::span<const std::string> subjects) {
  std::string aad;
  field_aad_into(at, subjects, aad);
  return aad;
}

// HKDF-Extract(salt "pl-seal-1", IKM = the keys in order) = HMAC-SHA-256(salt, IKM).
Result<DataKey> set_key(std::span<const DataKey> keys) {
  std::string ikm;
  ikm.reserve(32 * keys.size());
  for (auto& k : keys) ikm += key_chars(k);
  unsigned char out[32];
  bool ok = hmac_sha256("pl-seal-1", {ikm}, out);
  OPENSSL_cleanse(ikm.data(), ikm.size());
  if (!ok) return Status::internal("HMAC-SHA-256 failed");
  DataKey k;
  std::memcpy(k.data(), out, k.size());
  OPENSSL_cleanse(out, sizeof out);
  return k;
}

// The cache's name of a set of subjects: their ids, each ended by a NUL.
void set_name_into(std::span<const std::string> subjects, std::string& name) {
  name.clear();
  for (auto& s : subjects) {
    name += s;
    name += '\0';
  }
}
std::string set_name(std::span<const std::string> subjects) {
  std::string name;
  set_name_into(subjects, name);
  return name;
}

Status check_subjects(std::span<const std::string> subjects) {
  if (subjects.empty() || subjects.size() > 8) return Status::invalid("a field is sealed for 1 to 8 subjects");
  for (std::size_t i = 0; i < subjects.size(); ++i) {
    if (subjects[i].empty() || subjects[i].find('\0') != std::string::npos)
      return Status::invalid("a subject's id is not empty and holds no NUL byte");
    if (i > 0 && !(subjects[i - 1] < subjects[i])) return Status::invalid("a field's subjects are sorted, each once");
  }
  return Status::ok();
}

}  // namespace

// ---- the vault

Vault::Vault(Store& store, MasterKey master, KeySource new_key)
    : store_(store), master_(std::move(master)), new_key_(std::move(new_key)) {
  if (!new_key_) new_key_ = [](std::string_view, DataKey& out) { return random_bytes(out.data(), out.size()); };
}

Vault::~Vault() = default;

Result<std::unique_ptr<Vault>> Vault::open(const std::string& data_dir, Store& store, bool create) {
  std::string file = data_dir + "/" + kMasterKeyFile;
  auto m = MasterKey::load(file);
  if (!m && m.status().kind() == Kind::not_found && create) {
    // A ledger that seals under a new key must not hold keys wrapped by
    // another: its master key would have been lost.
    bool any = false;
    PL_RETURN_IF_ERROR(store.scan_key_records([&](std::string_view, std::string_view) {
      any = true;
      return Status::ok();
    }));
    if (any)
      return Status::invalid(file +
                             " is missing, and this ledger holds data keys wrapped by a master key: put "
                             "its master.key back (from where it was kept); without it no personal "
                             "field can be read");
    m = MasterKey::generate();
    if (!m) return m.status();
    PL_RETURN_IF_ERROR(m->save(file));
  }
  if (!m) return m.status();
  // A rotation that stopped half way (rotate_master): the key records tell
  // which of the two keys wraps them.
  std::string next_file = file + ".next";
  if (std::filesystem::exists(next_file)) {
    auto next = MasterKey::load(next_file);
    std::string wrapped_by;
    PL_RETURN_IF_ERROR(store.scan_key_records([&](std::string_view, std::string_view value) {
      if (wrapped_by.empty() && value.size() > 5 && value[0] == '\x01') wrapped_by = to_hex(value.substr(1, 4));
      return Status::ok();
    }));
    std::error_code ec;
    if (next && wrapped_by == next->id) {
      std::filesystem::rename(next_file, file, ec);  // the records were rewrapped: the new key is the key
      m = std::move(next);
    } else {
      std::filesystem::remove(next_file, ec);  // they were not: the old key stays
    }
  }
  return std::make_unique<Vault>(store, std::move(m).value());
}

Result<std::string> Vault::rotate_master(const std::string& data_dir) {
  // The new key is kept first, beside the old; the records are rewrapped in
  // one synced write; then the new key takes the old one's name. A stop at
  // any point leaves a ledger that open() reads under the right key.
  auto next = MasterKey::generate();
  if (!next) return next.status();
  std::string file = data_dir + "/" + kMasterKeyFile;
  PL_RETURN_IF_ERROR(next->save(file + ".next"));
  PL_RETURN_IF_ERROR(rewrap(*next));
  std::error_code ec;
  std::filesystem::rename(file + ".next", file, ec);
  if (ec) return Status::io_error("cannot put the new master key in place: " + ec.message());
  std::string dir = data_dir.empty() ? "." : data_dir;
  if (int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return next->id;
}

Result<std::optional<DataKey>> Vault::key_of(std::string_view subject) const {
  {
    std::shared_lock lock(mu_);
    auto it = keys_.find(subject);
    if (it != keys_.end()) return std::optional<DataKey>(it->second);
    if (forgotten_.contains(subject)) return std::optional<DataKey>();
  }
  std::string record = subject_record(subject);
  auto value = store_.get_key_record(record);
  if (!value) return value.status();
  if (!*value) return std::optional<DataKey>();
  auto key = unwrap(master_, record, **value);
  if (!key) return key.status();
  std::unique_lock lock(mu_);
  if (!*key) {
    forgotten_.emplace(subject);  // destroyed: not looked up again
  } else if (!forgotten_.contains(subject)) {
    keys_.emplace(std::string(subject), **key);  // a key read before its subject was forgotten is not kept after
  }
  return key;
}

Result<DataKey> Vault::key_of_new(std::string_view subject, Batch& batch) {
  std::string record = subject_record(subject);
  auto erased_refusal = [&] {
    return Status::conflict("subject_erased", "the personal data of " + std::string(subject) +
                                                  " was erased: nothing more can be recorded about them");
  };
  // A key this batch already holds (made, or destroyed, for an earlier event).
  if (auto pending = batch.pending_key_record(record)) {
    auto key = unwrap(master_, record, *pending);
    if (!key) return key.status();
    if (!*key) return erased_refusal();
    return **key;
  }
  auto have = key_of(subject);
  if (!have) return have.status();
  if (*have) return **have;
  auto value = store_.get_key_record(record);
  if (!value) return value.status();
  if (*value) return erased_refusal();
  DataKey k;
  PL_RETURN_IF_ERROR(new_key_(record, k));
  auto wrapped = wrap(master_, record, k);
  if (!wrapped) return wrapped.status();
  batch.put_key_record(record, *wrapped);
  return k;
}

std::optional<DataKey> Vault::cached_set_key(std::string_view name) const {
  std::shared_lock lock(mu_);
  auto it = set_keys_.find(name);
  if (it == set_keys_.end()) return std::nullopt;
  return it->second;
}

void Vault::remember_set_key(std::string name, std::span<const std::string> subjects, const DataKey& key) const {
  std::unique_lock lock(mu_);
  // A set with a subject forgotten meanwhile is not kept.
  for (auto& s : subjects)
    if (forgotten_.contains(s)) return;
  if (set_keys_.size() >= kMaxSetKeys) set_keys_.clear();
  set_keys_.emplace(std::move(name), key);
}

Result<std::string> Vault::seal(const FieldPlace& place, std::span<const std::string> subjects, std::string_view text,
                                Batch& batch) {
  PL_RETURN_IF_ERROR(check_subjects(subjects));
  // The sealers are made of stored keys only: a subject whose key this
  // batch makes or destroys takes the long way.
  auto pending_in = [&] {
    if (!batch.has_pending_key_records()) return false;
    for (auto& s : subjects)
      if (batch.pending_key_record(subject_record(s))) return true;
    return false;
  };
  set_name_into(subjects, scratch_name_);
  if (!pending_in())
    if (auto it = sealers_.find(scratch_name_); it != sealers_.end()) {
      field_aad_into(place, subjects, scratch_aad_);
      return it->second->seal(scratch_aad_, text);
    }
  std::string name = scratch_name_;
  std::vector<DataKey> keys;
  for (auto& s : subjects) {
    auto k = key_of_new(s, batch);
    if (!k) return k.status();
    keys.push_back(*k);
  }
  auto key = set_key(keys);
  if (!key) return key.status();
  if (pending_in()) return aead_seal(*key, field_aad(place, subjects), text, /*synthetic=*/true);
  auto sealer = std::make_unique<Sealer>();
  if (!sealer->init(*key)) return Status::internal("AES-256-GCM or HMAC-SHA-256 could not be keyed");
  if (sealers_.size() >= kMaxSetKeys) sealers_.clear();
  auto& made = sealers_[std::move(name)];
  made = std::move(sealer);
  return made->seal(field_aad(place, subjects), text);
}

Result<std::optional<std::string>> Vault::open(const FieldPlace& place, std::span<const std::string> subjects,
                                               std::string_view box) const {
  PL_RETURN_IF_ERROR(check_subjects(subjects));
  std::string name = set_name(subjects);
  std::optional<DataKey> key = cached_set_key(name);
  if (!key) {
    std::vector<DataKey> keys;
    for (auto& s : subjects) {
      auto k = key_of(s);
      if (!k) return k.status();
      if (!*k) return std::optional<std::string>();
      keys.push_back(**k);
    }
    auto made = set_key(keys);
    if (!made) return made.status();
    key = *made;
    remember_set_key(std::move(name), subjects, *key);
  }
  auto text = aead_open(*key, field_aad(place, subjects), box);
  if (!text) return text.status();
  return std::optional<std::string>(std::move(text).value());
}

std::string Vault::text(const SealedText& t) const {
  if (t.empty()) return {};
  auto opened = open(FieldPlace{t.position, t.type, t.field}, t.subjects(), t.box());
  if (!opened) return std::string(kUnreadableText);
  return *opened ? std::move(**opened) : std::string(kErasedText);
}

void Vault::destroy(Batch& batch, std::string_view subject, std::int64_t at_us) const {
  std::string mark(1, '\0');
  be(mark, static_cast<std::uint64_t>(at_us), 8);
  batch.put_key_record(subject_record(subject), mark);
}

void Vault::forget(std::string_view subject) {
  std::unique_lock lock(mu_);
  forgotten_.emplace(subject);
  for (auto& [name, key] : set_keys_) OPENSSL_cleanse(key.data(), key.size());
  set_keys_.clear();
  sealers_.clear();
  auto it = keys_.find(subject);
  if (it == keys_.end()) return;
  OPENSSL_cleanse(it->second.data(), it->second.size());
  keys_.erase(it);
}

Status Vault::erasable(std::string_view subject, const Batch& batch) const {
  std::string record = subject_record(subject);
  std::optional<std::string> value;
  if (auto pending = batch.pending_key_record(record)) {
    value = std::string(*pending);
  } else {
    auto stored = store_.get_key_record(record);
    if (!stored) return stored.status();
    value = std::move(stored).value();
  }
  if (!value) return Status::not_found("the ledger holds no personal data of '" + std::string(subject) + "'");
  if (!value->empty() && (*value)[0] == '\0')
    return Status::conflict("subject_erased", "the personal data of " + std::string(subject) + " was erased already");
  return Status::ok();
}

Result<bool> Vault::erased(std::string_view subject) const {
  auto value = store_.get_key_record(subject_record(subject));
  if (!value) return value.status();
  return *value && destroyed_mark(**value);
}

Result<std::vector<std::string>> Vault::subjects(bool erased) const {
  std::vector<std::string> out;
  PL_RETURN_IF_ERROR(store_.scan_key_records([&](std::string_view record, std::string_view value) {
    if (!record.empty() && record[0] == 's' && destroyed_mark(value) == erased) out.emplace_back(record.substr(1));
    return Status::ok();
  }));
  return out;
}

Result<DataKey> Vault::pseudonym_secret() {
  if (pseudonym_) return *pseudonym_;
  auto value = store_.get_key_record(kPseudonymRecord);
  if (!value) return value.status();
  if (*value) {
    auto key = unwrap(master_, kPseudonymRecord, **value);
    if (!key) return key.status();
    if (!*key) return Status::corruption("the staff pseudonym secret is marked destroyed");
    pseudonym_ = **key;
    return *pseudonym_;
  }
  DataKey k;
  PL_RETURN_IF_ERROR(new_key_(kPseudonymRecord, k));
  auto wrapped = wrap(master_, kPseudonymRecord, k);
  if (!wrapped) return wrapped.status();
  PL_RETURN_IF_ERROR(store_.put_key_record(kPseudonymRecord, *wrapped));
  pseudonym_ = k;
  return k;
}

Result<std::string> Vault::staff_id(std::string_view name) {
  auto secret = pseudonym_secret();
  if (!secret) return secret.status();
  std::string kept;
  bool space = false;
  for (char c : name) {
    bool ws = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
    if (ws) {
      space = !kept.empty();
      continue;
    }
    if (space) kept += ' ';
    space = false;
    kept += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  if (auto it = staff_ids_.find(kept); it != staff_ids_.end()) return it->second;
  unsigned char mac[32];
  if (!hmac_sha256(key_chars(*secret), {kept}, mac)) return Status::internal("HMAC-SHA-256 failed");
  std::string id = "staff:" + to_hex(chars(mac, 10));
  if (staff_ids_.size() >= kMaxStaffIds) staff_ids_.clear();
  staff_ids_.emplace(std::move(kept), id);
  return id;
}

Status Vault::rewrap(const MasterKey& next) {
  // Every record read and unwrapped under the current key first: a record
  // that does not unwrap stops the rotation before anything is written.
  std::vector<std::pair<std::string, std::string>> rewrapped;
  PL_RETURN_IF_ERROR(store_.scan_key_records([&](std::string_view record, std::string_view value) -> Status {
    auto key = unwrap(master_, record, value);
    if (!key) return key.status();
    if (!*key) return Status::ok();  // destroyed: the mark stays as it is
    auto wrapped = wrap(next, record, **key);
    if (!wrapped) return wrapped.status();
    rewrapped.emplace_back(std::string(record), std::move(wrapped).value());
    return Status::ok();
  }));
  PL_RETURN_IF_ERROR(store_.put_key_records(rewrapped));
  PL_RETURN_IF_ERROR(store_.purge_key_records());
  master_ = next;
  return Status::ok();
}

}  // namespace pl
