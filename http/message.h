// What the HTTP layer and the service hand each other: a request, its
// answer (whole or streamed), the sink of a body read as a stream, and a
// piece of a streamed answer. Values; no sockets, no threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace pl {

inline constexpr std::size_t kMaxBodyBytes = 1 << 20;
// The body of an evidence upload (POST /v1/evidence), the only larger one.
inline constexpr std::size_t kMaxEvidenceBytes = 20 << 20;

struct HttpRequest {
  std::string method;  // GET, POST, ...
  std::string target;  // path and query
  std::string authorization, idempotency_key, if_match, last_event_id, request_id;
  std::string content_type;  // the Content-Type header, as sent
  std::string filename;      // the X-Filename header, as sent
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string route;  // the route's pattern, for logs and metrics
  // Streamed answers, written piece by piece by the HTTP layer.
  enum class Stream { none, live, ndjson, csv, file, pieces };
  Stream stream = Stream::none;
  std::uint64_t from = 0;  // first position
  std::uint64_t to = 0;    // export: last position
  // Streams for a mentor carry only the events of its own pairs (and their
  // invoices, and its own application); empty: every event.
  std::string mentor_id;
  // Stream::file: the bytes of this open file, from its start (the audit
  // pack, built into an unnamed temporary file before the answer starts).
  std::shared_ptr<std::FILE> file;
  // Stream::pieces: the bytes `next_piece` gives, a piece a call, until it
  // gives an empty one (the end) or fails (then the answer is cut before its
  // last chunk: a client never takes a part for the whole). Called on an I/O
  // thread, once the last piece was written: one piece is held at a time.
  std::function<Result<std::string>()> next_piece;
};

// Takes the body of a request whose route reads it as a stream (an evidence
// upload), piece by piece, as the HTTP layer reads it. Each call's `done` is
// called exactly once, possibly on another thread; the next call waits for
// it. Dropping the sink before finish() answered drops what it took.
class BodySink {
 public:
  virtual ~BodySink() = default;
  // A piece of the body, in order. `done` gets nullopt to go on, or the
  // answer that ends the request (a refusal: the rest is not read).
  virtual void write(std::string piece, std::function<void(std::optional<HttpResponse>)> done) = 0;
  // The body is whole; `done` gets the answer.
  virtual void finish(std::function<void(HttpResponse)> done) = 0;
};

// What the service makes of the header of a request whose body it reads as
// a stream.
struct StreamedBody {
  std::size_t body_limit = 0;      // the most bytes the body may have
  std::unique_ptr<BodySink> sink;  // null: refused before the body is read
  HttpResponse refusal;            // the answer, when there is no sink; its route names the route
};

// A piece of a streamed answer: the position to read next, and whether the
// reading failed (then the stream must end in a way the client sees).
struct StreamChunk {
  std::uint64_t next = 0;
  Status status;
};

}  // namespace pl
