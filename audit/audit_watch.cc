#include "audit/audit_watch.h"

// Boost 1.74's asio/awaitable.hpp needs <utility> first with g++ 12.
// clang-format off
#include <utility>
// clang-format on

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "log/merkle.h"
#include "log/note.h"

namespace pl::audit {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;

struct Url {
  std::string host, port = "80", base;
};

Result<Url> parse_url(const std::string& url) {
  constexpr std::string_view kHttp = "http://";
  if (url.rfind(kHttp, 0) != 0) return Status::invalid("--url must be http://host:port (put TLS in front)");
  std::string rest = url.substr(kHttp.size());
  Url u;
  std::size_t slash = rest.find('/');
  std::string hostport = rest.substr(0, slash);
  u.base = slash == std::string::npos ? "" : rest.substr(slash);
  while (!u.base.empty() && u.base.back() == '/') u.base.pop_back();
  std::size_t colon = hostport.rfind(':');
  u.host = hostport.substr(0, colon);
  if (colon != std::string::npos) u.port = hostport.substr(colon + 1);
  if (u.host.empty()) return Status::invalid("--url names no host");
  return u;
}

// One GET; the body if the answer is 200, else an error with the status.
Result<std::string> get(const Url& u, const std::string& target, const std::string& token) {
  try {
    net::io_context ioc;
    net::ip::tcp::resolver resolver(ioc);
    beast::tcp_stream stream(ioc);
    stream.expires_after(std::chrono::seconds(30));
    stream.connect(resolver.resolve(u.host, u.port));
    http::request<http::empty_body> req{http::verb::get, u.base + target, 11};
    req.set(http::field::host, u.host);
    req.set(http::field::user_agent, "ledger-audit-watch");
    if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    beast::error_code ec;
    stream.socket().shutdown(net::ip::tcp::socket::shutdown_both, ec);
    if (res.result_int() != 200)
      return Status::unavailable("GET " + target + " answered " + std::to_string(res.result_int()) + ": " + res.body());
    return std::move(res.body());
  } catch (const std::exception& e) {
    return Status::unavailable("GET " + u.host + ":" + u.port + u.base + target + ": " + e.what());
  }
}

std::string b64(const Hash& h) { return note::base64(bytes_of(h)); }

int refuse(const std::string& why) {
  std::cerr << "audit watch: REFUSED: " << why << "\n";
  return 2;
}

int unusable(const Status& st) {
  std::cerr << "audit watch: " << st.message() << "\n";
  return 1;
}

// A signed checkpoint opened with one of `keys`, whose origin is the name of
// the key that signed it: a C2SP verifier key names the log it signs for, so
// a key's signature on another log's checkpoint proves nothing of it.
Result<note::Checkpoint> open_checkpoint(std::string_view text, const std::vector<note::Verifier>& keys) {
  note::Verifier signer;
  auto body = note::open(text, keys, &signer);
  if (!body) return Status::make(Kind::invalid_argument, "signature", "its signature: " + body.status().message());
  auto cp = note::parse_checkpoint(*body);
  if (!cp) return Status::invalid("not a checkpoint: " + cp.status().message());
  if (cp->origin != signer.name)
    return Status::make(Kind::invalid_argument, "origin",
                        "it is a checkpoint of origin '" + cp->origin + "', signed by the key of '" + signer.name +
                            "': a checkpoint's origin is the name of the key that signs it");
  return cp;
}

// The state file's checkpoint; nullopt when there is no file. Anything else
// that is not a checkpoint signed by a key given is an error that names the
// file: the witness then stops, and leaves the file as it is.
constexpr std::uintmax_t kMaxStateBytes = 1 << 16;
Result<std::optional<note::Checkpoint>> read_state(const std::string& file, const std::vector<note::Verifier>& keys) {
  std::error_code ec;
  auto st = std::filesystem::status(file, ec);
  if (st.type() == std::filesystem::file_type::not_found) return std::optional<note::Checkpoint>();
  auto bad = [&](const std::string& why) {
    return Status::invalid("the state file " + file + " " + why +
                           "; restore it from a copy, or remove it to keep the ledger's current checkpoint as "
                           "the first (what was kept before is then not compared)");
  };
  if (ec) return bad("cannot be read: " + ec.message());
  if (st.type() != std::filesystem::file_type::regular) return bad("is not a file");
  std::uintmax_t size = std::filesystem::file_size(file, ec);
  if (ec) return bad("cannot be read: " + ec.message());
  if (size > kMaxStateBytes) return bad("holds " + std::to_string(size) + " bytes, not one signed checkpoint");
  std::ifstream in(file, std::ios::binary);
  std::string text(static_cast<std::size_t>(size), '\0');
  if (!in || !in.read(text.data(), static_cast<std::streamsize>(text.size())))
    return bad("cannot be read: " + std::string(std::strerror(errno)));
  auto cp = open_checkpoint(text, keys);
  if (!cp) return bad("holds no checkpoint of a key given: " + cp.status().message());
  return std::optional<note::Checkpoint>(*cp);
}

// One look: 0 good (the state moved on or stayed), 2 refused, 1 unusable.
int look(const WatchOptions& o, const Url& u, const std::vector<note::Verifier>& keys) {
  auto text = get(u, "/v1/audit/checkpoint", o.token);
  if (!text) return unusable(text.status());
  auto now = open_checkpoint(*text, keys);
  if (!now) return refuse("the ledger's checkpoint: " + now.status().message() + "\n" + *text);

  auto state = read_state(o.state_file, keys);
  if (!state) return unusable(state.status());
  if (!*state) {
    std::cerr << "audit watch: no earlier checkpoint in " << o.state_file
              << "; this one is kept as the first: " << now->origin << " size " << now->size << " root "
              << b64(now->root) << "\n";
  } else {
    const note::Checkpoint& kept = **state;
    if (kept.origin != now->origin)
      return refuse("the origin changed: " + kept.origin + " before, " + now->origin + " now");
    if (now->size < kept.size)
      return refuse("the tree shrank: size " + std::to_string(kept.size) + " (root " + b64(kept.root) +
                    ") was kept, the ledger now signs size " + std::to_string(now->size) + " (root " + b64(now->root) +
                    "): the ledger was rolled back");
    if (now->size == kept.size && now->root != kept.root)
      return refuse("two checkpoints of size " + std::to_string(now->size) + " disagree: root " + b64(kept.root) +
                    " was kept, the ledger now signs root " + b64(now->root) + ": the log was rewritten");
    if (now->size > kept.size) {
      auto proof_text =
          get(u, "/v1/audit/proof/consistency?from=" + std::to_string(kept.size) + "&to=" + std::to_string(now->size),
              o.token);
      if (!proof_text) return unusable(proof_text.status());
      std::vector<Hash> proof;
      try {
        auto j = nlohmann::json::parse(*proof_text);
        for (auto& h : j.at("hashes")) {
          auto raw = note::unbase64(h.get<std::string>());
          if (!raw || raw->size() != 32) return refuse("the consistency proof holds a hash that is not base64 SHA-256");
          Hash x;
          std::memcpy(x.data(), raw->data(), 32);
          proof.push_back(x);
        }
      } catch (const std::exception& e) {
        return refuse(std::string("the consistency proof is not JSON of hashes: ") + e.what());
      }
      if (!merkle::verify_consistency(kept.size, now->size, kept.root, now->root, proof))
        return refuse("the consistency proof from size " + std::to_string(kept.size) + " (root " + b64(kept.root) +
                      ") to size " + std::to_string(now->size) + " (root " + b64(now->root) +
                      ") does not verify: the log of size " + std::to_string(now->size) +
                      " does not extend the one kept; it was rewritten");
    }
    std::cerr << "audit watch: ok: size " << kept.size << " -> " << now->size << ", root " << b64(now->root) << "\n";
  }
  // Keep the newer one (by rename, so that a crash leaves one whole file).
  std::string tmp = o.state_file + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << *text;
    if (!out) return unusable(Status::io_error("cannot write " + tmp));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, o.state_file, ec);
  if (ec) return unusable(Status::io_error("cannot write " + o.state_file + ": " + ec.message()));
  std::cout << now->origin << " " << now->size << " " << b64(now->root) << "\n" << std::flush;
  return 0;
}

}  // namespace

int watch(const WatchOptions& o) {
  auto u = parse_url(o.url);
  if (!u) return unusable(u.status());
  std::vector<note::Verifier> keys;
  for (auto& k : o.keys) {
    auto v = note::parse_verifier(k);
    if (!v) return unusable(Status::invalid("--key " + k + ": " + v.status().message()));
    keys.push_back(*v);
  }
  if (keys.empty()) return unusable(Status::invalid("--key is needed: the verifier key you trust (ledger key show)"));
  for (;;) {
    int rc = 1;
    try {
      rc = look(o, *u, keys);
    } catch (const std::exception& e) {  // nothing expected; a message and exit 1, never an abort
      rc = unusable(Status::internal(std::string("unexpected: ") + e.what()));
    }
    if (rc == 2 || o.interval_s <= 0) return rc;
    std::this_thread::sleep_for(std::chrono::seconds(o.interval_s));
  }
}

}  // namespace pl::audit
