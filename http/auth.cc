#include "http/auth.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "domain/decision.h"

namespace pl {

using nlohmann::json;

bool known_role(const std::string& role) {
  return role == "coordinator" || role == "finance" || role == "auditor" || role == "controller" || role == "mentor" ||
         role == "dpo";
}

namespace {

Result<json> read_file(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Status::not_found("no tokens file at " + file);
  std::stringstream text;
  text << in.rdbuf();
  try {
    return json::parse(text.str());
  } catch (const json::parse_error& e) {
    return Status::invalid("the tokens file " + file + " is not valid JSON: " + e.what());
  }
}

}  // namespace

Result<Tokens> Tokens::load(const std::string& file) {
  auto doc = read_file(file);
  if (!doc) return doc.status();
  Tokens t;
  if (!doc->is_object() || !doc->contains("tokens") || !(*doc)["tokens"].is_array())
    return Status::invalid("the tokens file " + file + " has no array \"tokens\"");
  std::size_t i = 0;
  for (const auto& e : (*doc)["tokens"]) {
    ++i;
    auto where = "token " + std::to_string(i) + " of " + file;
    if (!e.is_object() || !e.contains("name") || !e["name"].is_string() || !e.contains("role") ||
        !e["role"].is_string() || !e.contains("sha256") || !e["sha256"].is_string())
      return Status::invalid(where + " needs the strings name, role and sha256");
    Entry en;
    en.who.name = e["name"];
    en.who.role = e["role"];
    if (!known_role(en.who.role)) return Status::invalid(where + " has an unknown role '" + en.who.role + "'");
    if (!from_hex(e["sha256"].get<std::string>(), &en.sha256))
      return Status::invalid(where + ": sha256 must be 64 hexadecimal digits");
    if (en.who.role == "mentor") {
      if (!e.contains("mentor_id") || !e["mentor_id"].is_string() || e["mentor_id"].get<std::string>().empty())
        return Status::invalid(where + ": a mentor token needs its mentor_id");
      en.who.mentor_id = e["mentor_id"];
    }
    t.entries_.push_back(std::move(en));
  }
  return t;
}

std::optional<Principal> Tokens::authenticate(std::string_view token) const {
  if (token.empty()) return std::nullopt;
  Hash h = sha256(token);
  const Entry* found = nullptr;
  // Every entry is compared, in constant time each, whatever matches.
  for (const auto& e : entries_)
    if (CRYPTO_memcmp(h.data(), e.sha256.data(), h.size()) == 0) found = &e;
  if (!found) return std::nullopt;
  return found->who;
}

namespace {

// Writes the document to a temporary file (mode 0600) and renames it over
// `file`: a running server never reads half a file.
Status write_file(const std::string& file, const json& doc) {
  std::string tmp = file + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return Status::io_error("cannot write " + tmp);
    ::chmod(tmp.c_str(), 0600);
    out << doc.dump(2) << "\n";
    out.flush();
    if (!out) return Status::io_error("cannot write " + tmp);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, file, ec);
  if (ec) return Status::io_error("cannot replace " + file + ": " + ec.message());
  return Status::ok();
}

constexpr std::size_t kShortId = 12;

}  // namespace

std::vector<Tokens::Listed> Tokens::list() const {
  std::vector<Listed> out;
  for (const auto& e : entries_) out.push_back({to_hex(e.sha256).substr(0, kShortId), e.who});
  return out;
}

Result<Tokens::Listed> Tokens::remove(const std::string& file, const std::string& id) {
  if (id.size() < 8 || id.size() > 64 || id.find_first_not_of("0123456789abcdef") != std::string::npos)
    return Status::invalid("a token id is 8 to 64 lower-case hexadecimal digits, as ledger token list shows");
  auto existing = read_file(file);
  if (!existing) return existing.status();
  auto check = load(file);
  if (!check) return check.status();
  json doc = std::move(existing).value();
  std::vector<std::size_t> matches;
  for (std::size_t i = 0; i < check->entries_.size(); ++i)
    if (to_hex(check->entries_[i].sha256).compare(0, id.size(), id) == 0) matches.push_back(i);
  if (matches.empty()) return Status::not_found("no token with id " + id + " in " + file);
  if (matches.size() > 1)
    return Status::invalid(std::to_string(matches.size()) + " tokens have ids starting " + id + "; give more digits");
  const Entry& gone = check->entries_[matches[0]];
  doc["tokens"].erase(matches[0]);
  PL_RETURN_IF_ERROR(write_file(file, doc));
  return Listed{to_hex(gone.sha256).substr(0, kShortId), gone.who};
}

Result<std::string> Tokens::add(const std::string& file, const Principal& who) {
  // The name is kept as a person's name is (ends trimmed, inner white space
  // single), so that the four-eyes rule sees one person in it.
  const std::string name = person_name(who.name);
  if (name.empty()) return Status::invalid("a token needs a name");
  if (!known_role(who.role))
    return Status::invalid("unknown role '" + who.role + "' (coordinator, finance, auditor, controller or mentor)");
  if (who.role == "mentor" && who.mentor_id.empty()) return Status::invalid("a mentor token needs --mentor-id");
  if (who.role != "mentor" && !who.mentor_id.empty()) return Status::invalid("--mentor-id is for the mentor role only");
  json doc = {{"tokens", json::array()}};
  if (std::filesystem::exists(file)) {
    auto existing = read_file(file);
    if (!existing) return existing.status();
    auto check = load(file);
    if (!check) return check.status();
    doc = std::move(existing).value();
  }
  unsigned char raw[32];
  if (RAND_bytes(raw, sizeof raw) != 1) return Status::internal("no random bytes for a token");
  std::string token = "plt_" + to_hex(std::string_view(reinterpret_cast<const char*>(raw), sizeof raw));
  json entry = {{"name", name}, {"role", who.role}, {"sha256", to_hex(sha256(token))}};
  if (!who.mentor_id.empty()) entry["mentor_id"] = who.mentor_id;
  doc["tokens"].push_back(entry);

  PL_RETURN_IF_ERROR(write_file(file, doc));
  return token;
}

}  // namespace pl
