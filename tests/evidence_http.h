// What the end-to-end evidence tests share: documents of each type, and an
// upload streamed to a real server on its own connection.
#pragma once

#include <sys/socket.h>

#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "evidence_util.h"
#include "server_process.h"

namespace pl::test {

constexpr std::size_t kMiB = 1 << 20;

inline std::string pdf(std::size_t n, unsigned seed) { return "%PDF-1.7\n" + random_bytes(n - 9, seed); }
inline std::string png(std::size_t n, unsigned seed) {
  return std::string("\x89PNG\r\n\x1a\n", 8) + random_bytes(n - 8, seed);
}

using Headers = std::vector<std::pair<std::string, std::string>>;

// The head of a request, without its body.
inline std::string request_head(const std::string& method, const std::string& target, const Headers& headers,
                                bool close = true) {
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  if (close) req += "Connection: close\r\n";
  for (auto& [k, v] : headers) req += k + ": " + v + "\r\n";
  return req + "\r\n";
}

// An upload on its own connection. Headers given replace the defaults.
inline Resp upload(const Server& s, const std::string& body, const std::string& type = "application/pdf",
                   const std::string& role = "finance", const std::string& filename = "invoice.pdf",
                   const Headers& more = {}) {
  Headers h = {{"Authorization", "Bearer " + s.tokens.at(role)}, {"Content-Length", std::to_string(body.size())}};
  if (!type.empty()) h.emplace_back("Content-Type", type);
  if (!filename.empty()) h.emplace_back("X-Filename", filename);
  for (auto& m : more) h.push_back(m);
  Resp r;
  int fd = connect_to(s.port);
  if (fd < 0) return r;
  // The body is sent from another thread: the server may answer before it
  // reads all of it.
  std::thread sender([&] {
    send_all(fd, request_head("POST", "/v1/evidence", h) + body);
    ::shutdown(fd, SHUT_WR);  // all sent: a server still reading sees the end
  });
  std::string raw = recv_for(fd, 30000);
  ::shutdown(fd, SHUT_RDWR);
  sender.join();
  ::close(fd);
  parse_response(raw, &r, true);
  return r;
}

}  // namespace pl::test
