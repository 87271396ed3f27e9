// The route table and the plumbing every handler shares: routing, tokens,
// as-of reads, and commands.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "ledger/commands.h"
#include "ledger/decide.h"
#include "ledger/dates.h"
#include "projections/replay.h"
#include "server/api.h"
#include "server/json_commands.h"

namespace pl {

using nlohmann::json;

namespace {
constexpr std::size_t kAsOfCacheSize = 4;  // as-of read models kept for reuse
}  // namespace

int http_status(const Status& st) {
  switch (st.kind()) {
    case Kind::ok: return 200;
    case Kind::invalid_argument: return 400;
    case Kind::not_found: return 404;
    case Kind::conflict: return 409;
    case Kind::rule: return 422;
    case Kind::io_error:
    case Kind::unavailable: return 503;
    case Kind::corruption:
    case Kind::internal: return 500;
  }
  return 500;
}


HttpResponse json_response(int status, const json& body) {
  HttpResponse r;
  r.status = status;
  r.body = text_of(body);
  return r;
}

HttpResponse error_response(int status, const std::string& code, const std::string& message, json details) {
  return json_response(status, {{"error", {{"code", code}, {"message", message}, {"details", std::move(details)}}}});
}

HttpResponse error_response(const Status& st) { return error_response(http_status(st), st.reason(), st.message()); }

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding; false on a malformed escape.
bool url_decode(std::string_view in, std::string* out, bool plus_is_space) {
  out->clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      int h = hexval(in[i + 1]), l = hexval(in[i + 2]);
      if (h < 0 || l < 0) return false;
      out->push_back(static_cast<char>(h * 16 + l));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out->push_back(' ');
    } else {
      out->push_back(c);
    }
  }
  return true;
}

bool parse_u64(const std::string& s, std::uint64_t* out) {
  if (s.empty() || s.size() > 19) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  *out = v;
  return true;
}

void Api::init() {
  add("GET", "/healthz", &Api::healthz, true);
  add("GET", "/metrics", &Api::metrics, true);
  add("GET", "/", &Api::index, true);
  add("GET", "/assets/{file}", &Api::asset, true);
  add("GET", "/v1/me", &Api::me);

  add("GET", "/v1/programmes", &Api::programmes);
  add("POST", "/v1/programmes", &Api::open_programme);
  add("GET", "/v1/programmes/{pid}", &Api::programme);
  add("POST", "/v1/programmes/{pid}/rules", &Api::amend_rules);
  add("POST", "/v1/programmes/{pid}/close", &Api::close_programme);
  add("GET", "/v1/programmes/{pid}/joint-meetings", &Api::meetings);
  add("POST", "/v1/programmes/{pid}/joint-meetings", &Api::hold_joint_meeting);
  add("GET", "/v1/programmes/{pid}/mentees", &Api::mentees);
  add("POST", "/v1/programmes/{pid}/mentees", &Api::enrol_mentee);
  add("GET", "/v1/mentees/{mid}", &Api::mentee);
  add("GET", "/v1/mentees/{mid}/caps", &Api::caps);
  add("POST", "/v1/mentees/{mid}/withdraw", &Api::withdraw_mentee);
  add("GET", "/v1/programmes/{pid}/applications", &Api::applications);
  add("POST", "/v1/programmes/{pid}/applications", &Api::submit_application);
  add("GET", "/v1/applications/{aid}", &Api::application);
  add("POST", "/v1/applications/{aid}/accept", &Api::accept_application);
  add("POST", "/v1/applications/{aid}/reject", &Api::reject_application);
  add("GET", "/v1/programmes/{pid}/pairs", &Api::pairs);
  add("POST", "/v1/programmes/{pid}/pairs", &Api::assign_pair);
  add("GET", "/v1/pairs/{pair}", &Api::pair);
  add("POST", "/v1/pairs/{pair}/sessions", &Api::log_session);
  add("POST", "/v1/pairs/{pair}/sessions/{sid}/void", &Api::void_session);
  add("POST", "/v1/pairs/{pair}/report", &Api::submit_report);
  add("POST", "/v1/pairs/{pair}/period", &Api::change_pair_period);
  add("POST", "/v1/pairs/{pair}/complete", &Api::complete_pair);
  add("POST", "/v1/pairs/{pair}/terminate", &Api::terminate_pair);
  add("POST", "/v1/pairs/{pair}/invoices", &Api::issue_invoice);
  add("GET", "/v1/invoices/{iid}", &Api::invoice);
  add("POST", "/v1/invoices/{iid}/payments", &Api::pay_invoice);
  add("POST", "/v1/invoices/{iid}/cancel", &Api::cancel_invoice);
  add("POST", "/v1/invoices/{iid}/credit-notes", &Api::issue_credit_note);
  add("GET", "/v1/programmes/{pid}/budget", &Api::budget_view);
  add("GET", "/v1/programmes/{pid}/hours", &Api::hours_view);
  add("GET", "/v1/programmes/{pid}/tours", &Api::tours);
  add("POST", "/v1/programmes/{pid}/tours", &Api::schedule_tour);
  add("POST", "/v1/tours/{tid}/participants", &Api::register_tour_participant);
  add("POST", "/v1/tours/{tid}/participants/cancel", &Api::cancel_tour_participant);
  add("GET", "/v1/events", &Api::events);
  add("GET", "/v1/events/live", &Api::live);
  add("GET", "/v1/streams/{stream}", &Api::stream);
  add("GET", "/v1/audit/head", &Api::head);
  add("GET", "/v1/audit/verify", &Api::verify);
  add("GET", "/v1/audit/export", &Api::export_log);
}

void Api::handle(HttpRequest req, std::function<void(HttpResponse)> done) {
  Ctx c;
  c.svc = &s_;
  c.done = std::move(done);
  c.req = std::move(req);
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
        return c.fail(400, "bad_request", "the query string has a malformed percent escape");
      if (!k.empty()) c.query[k] = v;
      if (amp == std::string_view::npos) break;
      qs = qs.substr(amp + 1);
    }
  }
  // Split and decode the path.
  std::vector<std::string> segs;
  if (raw_path.empty() || raw_path[0] != '/') return c.fail(400, "bad_request", "the request target must start with /");
  std::size_t i = 1;
  while (i <= raw_path.size()) {
    std::size_t j = raw_path.find('/', i);
    if (j == std::string_view::npos) j = raw_path.size();
    std::string seg;
    if (!url_decode(raw_path.substr(i, j - i), &seg, false))
      return c.fail(400, "bad_request", "the path has a malformed percent escape");
    segs.push_back(std::move(seg));
    i = j + 1;
  }
  if (segs.size() > 1 && segs.back().empty()) segs.pop_back();  // a trailing slash
  c.path = std::string(raw_path);

  const Route* match = nullptr;
  std::vector<std::string> allowed;
  for (const auto& r : routes_) {
    if (r.segments.size() != segs.size()) continue;
    std::map<std::string, std::string> params;
    bool ok = true;
    for (std::size_t k = 0; k < segs.size() && ok; ++k) {
      const std::string& p = r.segments[k];
      if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
        if (segs[k].empty()) ok = false;
        else params[p.substr(1, p.size() - 2)] = segs[k];
      } else if (p != segs[k]) {
        ok = false;
      }
    }
    if (!ok) continue;
    if (r.method != c.req.method && !(r.method == "GET" && c.req.method == "HEAD")) {
      allowed.push_back(r.method);
      continue;
    }
    match = &r;
    c.params = std::move(params);
    break;
  }
  if (!match) {
    if (!allowed.empty()) {
      c.route = "method_not_allowed";
      std::string allow;
      for (auto& m : allowed) allow += (allow.empty() ? "" : ", ") + m;
      HttpResponse r = error_response(405, "method_not_allowed", c.req.method + " is not allowed on " + c.path + "; use " + allow);
      r.headers.emplace_back("Allow", allow);
      return c.reply(std::move(r));
    }
    c.route = "not_found";
    return c.fail(404, "not_found", "no such path: " + c.path);
  }
  c.route = match->method + " " + match->pattern;

  if (!match->open) {
    std::string_view auth = c.req.authorization;
    constexpr std::string_view kBearer = "Bearer ";
    if (auth.size() <= kBearer.size() || auth.substr(0, kBearer.size()) != kBearer) {
      HttpResponse r = error_response(401, "unauthorized", "a token is needed: Authorization: Bearer <token>");
      r.headers.emplace_back("WWW-Authenticate", "Bearer");
      return c.reply(std::move(r));
    }
    auto who = s_.authenticate(auth.substr(kBearer.size()));
    if (!who) {
      HttpResponse r = error_response(401, "unauthorized", "the token is not known");
      r.headers.emplace_back("WWW-Authenticate", "Bearer error=\"invalid_token\"");
      return c.reply(std::move(r));
    }
    c.who = std::move(*who);
  }
  (this->*(match->handler))(c);
}

// Answers from the published read models, or, for ?as_of=<instant> or
// ?at=<position> before them, from a replay up to that point (on the
// background thread; the latest few are cached).
void Api::with_models(Ctx& c, std::function<void(Ctx&, const ReadModels&, std::int32_t)> fn) {
  AsOf at;
  bool asked = false;
  if (c.has("at")) {
    if (!parse_u64(c.q("at"), &at.position) || at.position == 0)
      return c.fail(400, "bad_request", "at must be a position, a whole number from 1");
    asked = true;
  }
  if (c.has("as_of")) {
    if (asked) return c.fail(400, "bad_request", "give as_of or at, not both");
    auto t = parse_instant(c.q("as_of"));
    if (!t) return c.fail(400, "bad_request", "as_of must be an RFC 3339 instant with an offset, as 2019-03-15T23:59:59+01:00");
    at.recorded_at_us = *t;
    at.has_time = true;
    asked = true;
  }
  auto snap = s_.projector_->snapshot();
  std::int32_t now_day = day_of(s_.clock_());
  if (!asked) return fn(c, *snap, now_day);
  std::int32_t today = at.has_time ? day_of(at.recorded_at_us) : now_day;
  bool latest = at.has_time ? at.recorded_at_us >= snap->recorded_at_us() && snap->position() == s_.published_position()
                            : at.position >= snap->position();
  if (latest) return fn(c, *snap, at.has_time ? today : day_of(snap->recorded_at_us()));

  auto shared = std::make_shared<Ctx>(std::move(c));
  auto job = [this, shared, at, today, fn = std::move(fn)]() mutable {
    std::shared_ptr<const ReadModels> rm;
    std::uint64_t key = at.has_time ? 0 : at.position;
    if (key) {
      std::lock_guard lock(s_.asof_mu_);
      for (auto& [k, v] : s_.asof_cache_)
        if (k == key) rm = v;
    }
    if (!rm) {
      auto r = replay<ReadModels>(*s_.store_, at);
      if (!r) return shared->fail(r.status());
      rm = std::make_shared<const ReadModels>(std::move(r).value());
      std::lock_guard lock(s_.asof_mu_);
      s_.asof_cache_.emplace_back(rm->position(), rm);
      if (s_.asof_cache_.size() > kAsOfCacheSize) s_.asof_cache_.erase(s_.asof_cache_.begin());
    }
    fn(*shared, *rm, at.has_time ? today : day_of(rm->recorded_at_us()));
  };
  if (!s_.asof_worker_->post(std::move(job)))
    shared->fail(503, "busy", "too many as-of reads are waiting; retry in a moment");
}

bool Api::mentor_may_read(Ctx& c, const ReadModels&, const PairState& p) {
  if (c.who.role != "mentor" || p.mentor_id == c.who.mentor_id) return true;
  c.fail(403, "forbidden", "mentor " + c.who.mentor_id + " may read its own pairs only; " + p.id + " is not one");
  return false;
}

void Api::command(Ctx& c, const std::string& name, std::initializer_list<const char*> roles, bool own_mentor) {
  bool allowed = std::any_of(roles.begin(), roles.end(), [&](const char* r) { return c.who.role == r; });
  if (!allowed && !(own_mentor && c.who.role == "mentor")) {
    std::string may;
    for (auto* r : roles) may += (may.empty() ? "" : ", ") + std::string(r);
    if (own_mentor) may += ", or the pair's own mentor";
    s_.metrics_.command("forbidden");
    return c.fail(403, "forbidden", "the role " + c.who.role + " may not " + name + " (" + may + ")");
  }
  if (c.req.body.size() > kMaxBodyBytes)
    return c.fail(413, "payload_too_large", "the body is larger than 1 MiB");
  json body = json::object();
  std::string_view text = c.req.body;
  if (text.find_first_not_of(" \t\r\n") != std::string_view::npos) {
    auto parsed = parse_json(text);
    if (!parsed) return c.fail(parsed.status());
    body = std::move(parsed).value();
    if (!body.is_object()) return c.fail(400, "bad_request", "the request body must be a JSON object");
  }
  json params = json::object();
  for (auto& [k, v] : c.params) params[k] = v;
  auto cmd = parse_command(name, params, body);
  if (!cmd) {
    s_.metrics_.command(cmd.status().reason());
    return c.fail(cmd.status());
  }
  if (c.who.role == "mentor") {
    // A mentor writes to its own pairs only.
    auto snap = s_.projector_->snapshot();
    const PairState* p = State::find(snap->core().pairs(), c.params["pair"]);
    if (!p) return c.fail(404, "not_found", "no pair '" + c.params["pair"] + "'");
    if (p->mentor_id != c.who.mentor_id) {
      s_.metrics_.command("forbidden");
      return c.fail(403, "forbidden", "mentor " + c.who.mentor_id + " may write to its own pairs only; " + p->id +
                                          " belongs to " + p->mentor_id);
    }
  }
  std::optional<std::uint64_t> expected;
  if (!c.req.if_match.empty()) {
    std::string v = c.req.if_match;
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    std::uint64_t n = 0;
    if (!parse_u64(v, &n)) return c.fail(400, "bad_request", "If-Match must be a stream version, as \"3\"");
    expected = n;
  }
  const std::string& key = c.req.idempotency_key;
  if (!key.empty() && key.size() > 128)
    return c.fail(400, "bad_request", "Idempotency-Key must be 1 to 128 characters");

  Command command = make_command(std::move(cmd).value(), Actor{c.who.name, c.who.role}, expected);
  command.idempotency_key = key;
  command.fingerprint = sha256(c.req.method + " " + c.path + "\n" + c.req.body);
  command.correlation_id = c.req.request_id;

  auto shared = std::make_shared<Ctx>(std::move(c));
  s_.writer_->submit(std::move(command), [this, shared](Result<CommandOutcome> r) {
    if (!r) {
      s_.metrics_.command(r.status().reason());
      return shared->fail(r.status());
    }
    s_.metrics_.command(r->replayed ? "replayed" : "accepted");
    HttpResponse resp = json_response(201, outcome_json(*r));
    if (r->replayed) resp.headers.emplace_back("Idempotent-Replayed", "true");
    std::uint64_t last = 0;
    for (auto& e : r->events) last = std::max(last, e.position);
    // Answer once reads see the write: a client that reads after a 201 sees it.
    auto reply = std::make_shared<HttpResponse>(std::move(resp));
    s_.when_published(last, [shared, reply] { shared->reply(std::move(*reply)); });
  });
}

}  // namespace pl
