// End-to-end support: the real `ledger` binary started on a free loopback
// port with a temporary data directory, and a small HTTP/1.1 client over
// POSIX sockets (loopback only).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "base/build_paths.h"
#include "util.h"

namespace pl::test {

using nlohmann::json;

struct Resp {
  int status = 0;                              // 0: no answer (connection refused, reset, or closed)
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  bool complete = true;  // false: a chunked body that ended before its last chunk
  json j() const {
    try {
      return json::parse(body);
    } catch (...) {
      return json();
    }
  }
  std::string code() const {
    json x = j();
    return x.is_object() && x.contains("error") ? x["error"].value("code", std::string()) : std::string();
  }
};

inline int connect_to(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

inline bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Reads what arrives within `timeout_ms` of silence, or until the peer closes.
inline std::string recv_for(int fd, int timeout_ms, bool* closed = nullptr) {
  std::string out;
  char buf[65536];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    int r = ::poll(&p, 1, timeout_ms);
    if (r <= 0) break;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      if (closed) *closed = true;
      break;
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

// Parses one response from the front of `raw`; returns the bytes it used (0
// if incomplete).
inline std::size_t parse_response(const std::string& raw, Resp* r, bool until_close) {
  auto end = raw.find("\r\n\r\n");
  if (end == std::string::npos) return 0;
  std::istringstream head(raw.substr(0, end));
  std::string line;
  std::getline(head, line);
  if (line.size() < 12) return 0;
  r->status = std::stoi(line.substr(9, 3));
  r->headers.clear();
  while (std::getline(head, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto c = line.find(':');
    if (c == std::string::npos) continue;
    std::string k = line.substr(0, c), v = line.substr(c + 1);
    for (auto& ch : k) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    while (!v.empty() && v.front() == ' ') v.erase(0, 1);
    r->headers[k] = v;
  }
  std::size_t body_at = end + 4;
  auto te = r->headers.find("transfer-encoding");
  if (te != r->headers.end() && te->second == "chunked") {
    // Chunks, up to the last (empty) one; without it the body is incomplete.
    r->body.clear();
    r->complete = false;
    std::size_t at = body_at;
    for (;;) {
      auto eol = raw.find("\r\n", at);
      if (eol == std::string::npos) break;
      std::size_t n = std::stoul(raw.substr(at, eol - at), nullptr, 16);
      if (raw.size() < eol + 2 + n + 2) break;
      if (n == 0) {
        r->complete = true;
        at = eol + 4;
        break;
      }
      r->body.append(raw, eol + 2, n);
      at = eol + 2 + n + 2;
    }
    if (!r->complete && !until_close) return 0;
    return r->complete ? at : raw.size();
  }
  auto it = r->headers.find("content-length");
  if (it != r->headers.end()) {
    std::size_t n = std::stoul(it->second);
    if (raw.size() < body_at + n) return 0;
    r->body = raw.substr(body_at, n);
    return body_at + n;
  }
  if (!until_close) return 0;
  r->body = raw.substr(body_at);
  return raw.size();
}

// One request on its own connection.
inline Resp request(int port, const std::string& method, const std::string& target, const std::string& body = "",
                    const std::vector<std::pair<std::string, std::string>>& headers = {}, int timeout_ms = 10000) {
  Resp r;
  int fd = connect_to(port);
  if (fd < 0) return r;
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  for (auto& [k, v] : headers) req += k + ": " + v + "\r\n";
  if (!body.empty() || method == "POST")
    req += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n" + body;
  send_all(fd, req);  // the server may answer (413) before reading it all
  bool closed = false;
  std::string raw = recv_for(fd, timeout_ms, &closed);
  ::close(fd);
  parse_response(raw, &r, true);
  return r;
}

// An invoice of EUR 1,000.00 without VAT, issued 2026-03-31.
inline json invoice_body(const std::string& id, const std::string& number) {
  return {{"id", id}, {"number", number}, {"issue_date", "2026-03-31"}, {"net_cents", 100000}, {"vat_cents", 0}};
}

// The tour "t1": Wallonia, hosted by AWEX, 28 October to 1 November 2026.
inline json tour_body() {
  return {
      {"id", "t1"}, {"region", "Wallonia"}, {"host", "AWEX"}, {"start_date", "2026-10-28"}, {"end_date", "2026-11-01"}};
}

// The verifier key that signs the checkpoints of the ledger on `port` (for
// tests: an auditor gets it from the operator, not from the server).
inline std::string current_verifier(int port) {
  json keys = request(port, "GET", "/v1/audit/key").j();
  for (auto& k : keys["keys"])
    if (k["current"] == true) return k["verifier"].get<std::string>();
  return {};
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs the ledger binary to completion; returns its exit status and its
// standard output (with its standard error after it when `with_stderr`).
inline int run_ledger(const std::vector<std::string>& args, std::string* out = nullptr, bool with_stderr = false) {
  std::string cmd = std::string(pl::build_paths::ledger_bin);
  for (auto& a : args) cmd += " '" + a + "'";
  cmd += with_stderr ? " 2>&1" : " 2>/dev/null";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return -1;
  std::string text;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) text.append(buf, n);
  int st = ::pclose(p);
  if (out) *out = text;
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

// `ledger serve` in a child process.
class Server {
 public:
  // demo: load the demonstration programme and its tokens; otherwise one
  // token per role is made with `ledger token add`.
  // nofile: when not 0, the server runs with that limit on open files.
  explicit Server(bool demo = true, std::vector<std::string> extra = {}, unsigned long nofile = 0)
      : extra_(std::move(extra)), nofile_(nofile) {
    data_ = dir_.sub("data");
    if (demo) {
      if (run_ledger({"demo", "--data", data_}) != 0) throw std::runtime_error("ledger demo failed");
      std::istringstream lines(read_file(data_ + "/demo-tokens.txt"));
      std::string line;
      while (std::getline(lines, line)) {
        auto sp = line.find(' ');
        tokens[line.substr(0, sp)] = line.substr(line.rfind(' ') + 1);
      }
    } else {
      for (const char* role : {"coordinator", "finance", "auditor", "controller", "dpo"}) {
        std::string out;
        run_ledger({"token", "add", "--data", data_, "--name", std::string("t-") + role, "--role", role}, &out);
        tokens[role] = out.substr(0, out.find('\n'));
      }
      std::string out;
      run_ledger({"token", "add", "--data", data_, "--name", "t-mentor", "--role", "mentor", "--mentor-id", "e1"},
                 &out);
      tokens["mentor"] = out.substr(0, out.find('\n'));
    }
    start();
  }
  ~Server() { stop(SIGKILL); }

  void start() {
    int out_pipe[2];
    if (::pipe(out_pipe) != 0) throw std::runtime_error("pipe");
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out_pipe[1], 1);
      ::close(out_pipe[0]);
      std::string log = data_ + "/../server.log";
      FILE* err = std::fopen(log.c_str(), "a");
      if (err) ::dup2(fileno(err), 2);
      if (nofile_) {
        rlimit rl{nofile_, nofile_};
        ::setrlimit(RLIMIT_NOFILE, &rl);
      }
      std::vector<std::string> args = {
          pl::build_paths::ledger_bin, "serve", "--data", data_, "--listen", "127.0.0.1:0"};
      for (auto& a : extra_) args.push_back(a);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(pl::build_paths::ledger_bin, argv.data());
      ::_exit(127);
    }
    ::close(out_pipe[1]);
    // The first line names the port.
    std::string line;
    char c;
    while (::read(out_pipe[0], &c, 1) == 1 && c != '\n') line += c;
    ::close(out_pipe[0]);
    auto at = line.find("127.0.0.1:");
    if (at == std::string::npos) throw std::runtime_error("the server did not start: " + line);
    port = std::stoi(line.substr(at + 10));
  }
  // Sends `sig` and waits for the process to end; returns its exit status.
  int stop(int sig = SIGTERM) {
    if (pid_ <= 0) return 0;
    ::kill(pid_, sig);
    int st = 0;
    ::waitpid(pid_, &st, 0);
    pid_ = 0;
    int rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    // A stop that was asked for and did not end cleanly (a sanitizer's report,
    // an error on the way out) shows what the server wrote, so the failing
    // test's output says why.
    if (rc != 0 && sig != SIGKILL) std::cerr << "server exited " << rc << "; its log:\n" << log() << std::endl;
    return rc;
  }

  Resp get(const std::string& target, const std::string& role = "auditor") const {
    return request(port, "GET", target, "", {{"Authorization", "Bearer " + tokens.at(role)}});
  }
  Resp post(const std::string& target, const json& body, const std::string& role = "coordinator",
            std::vector<std::pair<std::string, std::string>> headers = {}) const {
    headers.emplace_back("Authorization", "Bearer " + tokens.at(role));
    return request(port, "POST", target, body.is_null() ? std::string() : body.dump(), headers);
  }
  std::uint64_t head() const { return get("/v1/audit/head").j().value("position", std::uint64_t{0}); }
  const std::string& data() const { return data_; }
  pid_t pid() const { return pid_; }
  std::string log() const { return read_file(data_ + "/../server.log"); }
  const TempDir& dir() const { return dir_; }

  int port = 0;
  std::map<std::string, std::string> tokens;

 private:
  TempDir dir_;
  std::string data_;
  std::vector<std::string> extra_;
  unsigned long nofile_ = 0;
  pid_t pid_ = 0;
};

}  // namespace pl::test
