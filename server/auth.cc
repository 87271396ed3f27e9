#include "server/auth.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace pl {

using nlohmann::json;

bool known_role(const std::string& role) {
  return role == "coordinator" || role == "finance" || role == "auditor" || role == "mentor";
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

Result<std::string> Tokens::add(const std::string& file, const Principal& who) {
  if (who.name.empty()) return Status::invalid("a token needs a name");
  if (!known_role(who.role))
    return Status::invalid("unknown role '" + who.role + "' (coordinator, finance, auditor or mentor)");
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
  json entry = {{"name", who.name}, {"role", who.role}, {"sha256", to_hex(sha256(token))}};
  if (!who.mentor_id.empty()) entry["mentor_id"] = who.mentor_id;
  doc["tokens"].push_back(entry);

  std::string tmp = file + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return Status::io_error("cannot write " + tmp);
    out << doc.dump(2) << "\n";
    out.flush();
    if (!out) return Status::io_error("cannot write " + tmp);
  }
  ::chmod(tmp.c_str(), 0600);
  std::error_code ec;
  std::filesystem::rename(tmp, file, ec);
  if (ec) return Status::io_error("cannot replace " + file + ": " + ec.message());
  return token;
}

}  // namespace pl
