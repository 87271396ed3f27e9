#include "log/signer.h"

#include <openssl/rand.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace pl {
namespace {

constexpr char kOrigin[] = "origin";
constexpr char kVerifiers[] = "verifiers";

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(line);
  return out;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (auto& l : lines) out += l + "\n";
  return out;
}

Result<std::string> ensure_origin(Store& store) {
  auto have = store.get_setting(kOrigin);
  if (!have) return have.status();
  if (*have) return **have;
  unsigned char r[6];
  if (RAND_bytes(r, sizeof r) != 1) return Status::internal("no random bytes from OpenSSL");
  std::string origin = "programme-ledger/" + to_hex(std::string_view(reinterpret_cast<char*>(r), sizeof r));
  PL_RETURN_IF_ERROR(store.put_setting(kOrigin, origin));
  return origin;
}

// Writes the key file for its owner alone, replacing any (by rename).
Status write_key(const std::string& file, const note::SigningKey& key) {
  std::string tmp = file + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return Status::io_error("cannot write " + tmp);
    ::chmod(tmp.c_str(), 0600);
    out << key.private_text() << "\n";
    out.flush();
    if (!out) return Status::io_error("cannot write " + tmp);
  }
  ::chmod(tmp.c_str(), 0600);
  std::error_code ec;
  std::filesystem::rename(tmp, file, ec);
  if (ec) return Status::io_error("cannot put the signing key in place: " + ec.message());
  return Status::ok();
}

Status list_verifier(Store& store, std::vector<std::string>* verifiers, const std::string& verifier) {
  for (auto& v : *verifiers)
    if (v == verifier) return Status::ok();
  verifiers->push_back(verifier);
  return store.put_setting(kVerifiers, joined(*verifiers));
}

Result<std::vector<std::string>> stored_verifiers(Store& store) {
  auto have = store.get_setting(kVerifiers);
  if (!have) return have.status();
  return *have ? lines_of(**have) : std::vector<std::string>();
}

}  // namespace

Result<std::unique_ptr<Signer>> Signer::open(const std::string& data_dir, Store& store) {
  std::unique_ptr<Signer> s(new Signer(store));
  auto origin = ensure_origin(store);
  if (!origin) return origin.status();
  s->origin_ = *origin;
  auto verifiers = stored_verifiers(store);
  if (!verifiers) return verifiers.status();
  s->verifiers_ = std::move(verifiers).value();

  std::string file = data_dir + "/" + kSigningKeyFile;
  std::ifstream in(file, std::ios::binary);
  if (in) {
    std::stringstream text;
    text << in.rdbuf();
    auto key = note::parse_private(text.str());
    if (!key) return Status::invalid(file + ": " + key.status().message());
    if (key->name != s->origin_)
      return Status::invalid(file + " is the key of " + key->name + ", not of this ledger (" + s->origin_ + ")");
    s->key_ = std::move(key).value();
  } else {
    auto key = note::generate(s->origin_);
    if (!key) return key.status();
    PL_RETURN_IF_ERROR(write_key(file, *key));
    s->key_ = std::move(key).value();
  }
  PL_RETURN_IF_ERROR(list_verifier(store, &s->verifiers_, s->key_.verifier()));
  return s;
}

Result<std::string> Signer::rotate(const std::string& data_dir, Store& store) {
  auto s = open(data_dir, store);  // the origin and the current key, listed
  if (!s) return s.status();
  auto key = note::generate((*s)->origin_);
  if (!key) return key.status();
  // Listed before it signs anything, so that no checkpoint is ever signed by
  // a key the ledger does not list.
  PL_RETURN_IF_ERROR(list_verifier(store, &(*s)->verifiers_, key->verifier()));
  PL_RETURN_IF_ERROR(write_key(data_dir + "/" + kSigningKeyFile, *key));
  return key->verifier();
}

Result<std::string> Signer::checkpoint(std::uint64_t size) const {
  auto root = store_.tree_root(size);
  if (!root) return root.status();
  note::Checkpoint c{origin_, size, *root};
  return note::sign(note::checkpoint_text(c), key_);
}

}  // namespace pl
