#include "app/audit_watch.h"

// Boost 1.74's asio/awaitable.hpp needs <utility> first with g++ 12.
// clang-format off
#include <utility>
// clang-format on

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "ledger/merkle.h"
#include "ledger/note.h"

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

// One look: 0 good (the state moved on or stayed), 2 refused, 1 unusable.
int look(const WatchOptions& o, const Url& u, const std::vector<note::Verifier>& keys) {
  auto text = get(u, "/v1/audit/checkpoint", o.token);
  if (!text) return unusable(text.status());
  auto body = note::open(*text, keys);
  if (!body) return refuse("the checkpoint's signature: " + body.status().message() + "\n" + *text);
  auto now = note::parse_checkpoint(*body);
  if (!now) return refuse("the checkpoint: " + now.status().message());

  std::ifstream in(o.state_file, std::ios::binary);
  if (!in) {
    std::cerr << "audit watch: no earlier checkpoint in " << o.state_file
              << "; this one is kept as the first: " << now->origin << " size " << now->size << " root "
              << b64(now->root) << "\n";
  } else {
    std::stringstream kept_text;
    kept_text << in.rdbuf();
    auto kept_body = note::open(kept_text.str(), keys);
    if (!kept_body)
      return unusable(Status::invalid(o.state_file +
                                      " holds no checkpoint signed by a key given: " + kept_body.status().message()));
    auto kept = note::parse_checkpoint(*kept_body).value();
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
    int rc = look(o, *u, keys);
    if (rc == 2 || o.interval_s <= 0) return rc;
    std::this_thread::sleep_for(std::chrono::seconds(o.interval_s));
  }
}

}  // namespace pl::audit
