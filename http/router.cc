// The router: a request matched against the route table, its token and
// role checked, then the row's handler, command or streamed body's opener.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "http/api.h"
#include "http/route_table.h"

namespace pl {

using nlohmann::json;

namespace {
constexpr std::size_t kMaxQueuedAsOf = 64;  // as-of reads waiting; more: 503 busy
// Evidence work waiting (a piece to store, an upload to finish, a document to
// read): each upload has one at a time. More: 503 busy.
constexpr std::size_t kMaxQueuedEvidence = 1024;
}  // namespace

Api::Api(Parts parts)
    : parts_(std::move(parts)),
      asof_models_(std::make_unique<AsOfModels>(*parts_.store, parts_.asof)),
      asof_worker_(std::make_unique<Worker>(kMaxQueuedAsOf)),
      verify_worker_(std::make_unique<Worker>(1)),
      evidence_worker_(std::make_unique<Worker>(kMaxQueuedEvidence)) {
  asof_worker_->post([this] { prepare_snapshots(nullptr, 0); });
  quota_ = std::make_unique<EvidenceQuota>(parts_.quota);
  if (Status st = quota_->load(*parts_.store); !st) spdlog::error("evidence quotas: {}", st.message());
}

Api::~Api() { stop(); }

void Api::stop() {
  asof_worker_->stop();
  verify_worker_->stop();
  evidence_worker_->stop();
}

const ProgrammeIndex* Api::Ctx::programme_or_404(const ReadModels& rm) {
  const std::string& pid = params["pid"];
  const ProgrammeIndex* idx = State::find(rm.programmes(), pid);
  if (!idx || !State::find(rm.core().programmes(), pid)) {
    fail_no_programme(pid);
    return nullptr;
  }
  return idx;
}

void Api::handle(HttpRequest req, std::function<void(HttpResponse)> done) {
  Ctx c;
  c.health = parts_.health;
  c.done = std::move(done);
  c.req = std::move(req);
  const Route* match = route(c);
  if (!match || !authorize(c)) return;
  if (match->streamed) return stream_whole(c);
  if (match->command) return command(c);
  // A mentor's reach on a read without as-of (as-of reads check it against
  // the models they read, in with_models).
  if (c.is_mentor() && match->mentor == MentorLimit::own && !match->as_of &&
      !mentor_owns(c, *parts_.projector->snapshot()))
    return;
  (this->*(match->read))(c);
}

std::optional<StreamedBody> Api::open_stream(const HttpRequest& head) {
  std::optional<HttpResponse> answered;
  Ctx c;
  c.health = parts_.health;
  c.done = [&answered](HttpResponse r) { answered = std::move(r); };
  c.req = head;
  const Route* match = route(c);
  // A path the table does not have, or a route that takes its body whole:
  // handle() answers it, with its body.
  if (!match || !match->streamed) return std::nullopt;
  StreamedBody out;
  out.body_limit = match->body_limit;
  if (authorize(c)) {
    out = (this->*(match->open))(c);
    out.body_limit = match->body_limit;
  }
  if (!out.sink) out.refusal = answered ? std::move(*answered) : error_response(500, "internal", "no answer");
  out.refusal.route = c.route;
  return out;
}

void Api::stream_whole(Ctx& c) {
  // A streamed route's request with its body read whole (a caller without
  // the HTTP layer): the same sink, given the body in one piece.
  StreamedBody sb = (this->*(c.spec->open))(c);
  if (!sb.sink) return;  // the opener answered
  if (c.req.body.size() > c.spec->body_limit)
    return c.fail(413, "payload_too_large",
                  "the body is larger than " + std::to_string(c.spec->body_limit >> 20) + " MiB");
  std::shared_ptr<BodySink> sink = std::move(sb.sink);
  auto done = c.done;
  sink->write(std::move(c.req.body), [sink, done](std::optional<HttpResponse> refused) {
    if (refused) return done(std::move(*refused));
    sink->finish([sink, done](HttpResponse r) { done(std::move(r)); });
  });
}

const Route* Api::route(Ctx& c) {
  std::string_view target = c.req.target;
  std::size_t qpos = target.find('?');
  std::string_view raw_path = target.substr(0, qpos);
  if (qpos != std::string_view::npos) {
    std::string_view qs = target.substr(qpos + 1);
    while (!qs.empty()) {
      std::size_t amp = qs.find('&');
      std::string_view kv = qs.substr(0, amp);
      std::size_t eq = kv.find('=');
      std::string k, v;
      if (!url_decode(kv.substr(0, eq), &k, true) ||
          !url_decode(eq == std::string_view::npos ? std::string_view() : kv.substr(eq + 1), &v, true))
        return c.fail(400, "bad_request", "the query string has a malformed percent escape"), nullptr;
      if (!k.empty()) c.query[k] = v;
      if (amp == std::string_view::npos) break;
      qs = qs.substr(amp + 1);
    }
  }
  // Split and decode the path.
  std::vector<std::string> segs;
  if (raw_path.empty() || raw_path[0] != '/')
    return c.fail(400, "bad_request", "the request target must start with /"), nullptr;
  std::size_t i = 1;
  while (i <= raw_path.size()) {
    std::size_t j = raw_path.find('/', i);
    if (j == std::string_view::npos) j = raw_path.size();
    std::string seg;
    if (!url_decode(raw_path.substr(i, j - i), &seg, false))
      return c.fail(400, "bad_request", "the path has a malformed percent escape"), nullptr;
    segs.push_back(std::move(seg));
    i = j + 1;
  }
  if (segs.size() > 1 && segs.back().empty()) segs.pop_back();  // a trailing slash
  c.path = std::string(raw_path);

  const Route* match = nullptr;
  std::vector<std::string> allowed;
  auto is_param = [](const std::string& p) { return p.size() > 2 && p.front() == '{' && p.back() == '}'; };
  for (const Route& r : route_table()) {
    if (r.segments.size() != segs.size()) continue;
    bool ok = true;
    for (std::size_t k = 0; k < segs.size() && ok; ++k) {
      const std::string& p = r.segments[k];
      ok = is_param(p) ? !segs[k].empty() : p == segs[k];
    }
    if (!ok) continue;
    if (r.method != c.req.method && !(r.method == "GET" && c.req.method == "HEAD")) {
      allowed.emplace_back(r.method);
      continue;
    }
    match = &r;
    // The path's values are taken for the matching row only.
    for (std::size_t k = 0; k < segs.size(); ++k)
      if (is_param(r.segments[k])) c.params[r.segments[k].substr(1, r.segments[k].size() - 2)] = std::move(segs[k]);
    break;
  }
  if (!match) {
    if (!allowed.empty()) {
      c.route = "method_not_allowed";
      std::string allow;
      for (auto& m : allowed) allow += (allow.empty() ? "" : ", ") + m;
      HttpResponse r =
          error_response(405, "method_not_allowed", c.req.method + " is not allowed on " + c.path + "; use " + allow);
      r.headers.emplace_back("Allow", allow);
      c.reply(std::move(r));
      return nullptr;
    }
    c.route = "not_found";
    c.fail(404, "not_found", "no such path: " + c.path);
    return nullptr;
  }
  c.spec = match;
  c.route = std::string(match->method) + " " + std::string(match->pattern);
  return match;
}

bool Api::authorize(Ctx& c) {
  const Route* match = c.spec;
  if (match->roles != kNoToken) {
    std::string_view auth = c.req.authorization;
    constexpr std::string_view kBearer = "Bearer ";
    if (auth.size() <= kBearer.size() || auth.substr(0, kBearer.size()) != kBearer) {
      HttpResponse r = error_response(401, "unauthorized", "a token is needed: Authorization: Bearer <token>");
      r.headers.emplace_back("WWW-Authenticate", "Bearer");
      c.reply(std::move(r));
      return false;
    }
    auto who = parts_.tokens->authenticate(auth.substr(kBearer.size()));
    if (!who) {
      HttpResponse r = error_response(401, "unauthorized", "the token is not known");
      r.headers.emplace_back("WWW-Authenticate", "Bearer error=\"invalid_token\"");
      c.reply(std::move(r));
      return false;
    }
    c.who = std::move(*who);
    if (!(match->roles & role_bit(c.who.role))) {
      std::string may;
      for (auto& r : role_names(match->roles & ~kMentor)) may += (may.empty() ? "" : ", ") + r;
      if (match->roles & kMentor) may += match->mentor == MentorLimit::own ? ", or the pair's own mentor" : ", mentor";
      if (match->command) parts_.metrics->command("forbidden");
      c.fail(403, "forbidden",
             "the role " + c.who.role + " may not " + std::string(match->operation) + " (" + may + ")");
      return false;
    }
  }
  return true;
}

}  // namespace pl
