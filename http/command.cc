// Running a route's command: the mentor's reach, the body read by the row's
// CommandSpec, If-Match and the idempotency key, the writer; answered 201
// once reads see the write.
#include <spdlog/spdlog.h>

#include "domain/commands.h"
#include "domain/decide.h"
#include "http/api.h"
#include "http/json_commands.h"
#include "http/route_table.h"

namespace pl {

using nlohmann::json;

void Api::command(Ctx& c) {
  // A mentor's reach first: a body is not looked at for whom it may not write.
  if (c.is_mentor() && c.spec->mentor == MentorLimit::own && !mentor_owns(c, *parts_.projector->snapshot())) {
    parts_.metrics->command("forbidden");
    return;
  }
  if (c.req.body.size() > kMaxBodyBytes) return c.fail(413, "payload_too_large", "the body is larger than 1 MiB");
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
  auto cmd = c.spec->command->parse(params, body);
  if (!cmd) {
    parts_.metrics->command(cmd.status().reason());
    return c.fail(cmd.status());
  }
  Status completed = complete_command(*parts_.store, *cmd);
  // A document is attached only by someone who may read it.
  if (auto* attach = std::get_if<AttachEvidence>(&*cmd); completed && attach) completed = may_attach(c, *attach);
  if (!completed) {
    parts_.metrics->command(completed.reason());
    return c.fail(completed);
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

  Command command = make_command(std::move(cmd).value(), Actor{c.who.name, c.who.role, {}}, expected);
  command.idempotency_key = key;
  command.fingerprint = sha256(c.req.method + " " + c.path + "\n" + c.req.body);
  command.correlation_id = c.req.request_id;

  // The read models stopped for good: a command would be written but never
  // shown, and its answer would wait for ever. Nothing is written.
  if (auto stopped = parts_.publication->publication_failed()) {
    parts_.metrics->command("read_models_stopped");
    return c.fail(503, "read_models_stopped",
                  "the read models stopped at position " + std::to_string(parts_.publication->published_position()) +
                      " (" + stopped->message() +
                      "): no command is taken until the ledger is restarted (ledger verify first)");
  }

  auto shared = std::make_shared<Ctx>(std::move(c));
  // Called on the writer's thread (WriterOptions::answer_inline): it only
  // registers the wait; the answer is made once the read models cover it.
  parts_.writer->submit(std::move(command), [this, shared](Result<CommandOutcome> r) {
    std::uint64_t first = 0, last = 0;
    if (r)
      for (auto& e : r->events) {
        first = first == 0 ? e.position : std::min(first, e.position);
        last = std::max(last, e.position);
      }
    // Answer once reads see the write: a client that reads after a 201 sees it.
    // (A refusal wrote nothing: position 0 is covered at once.)
    auto result = std::make_shared<Result<CommandOutcome>>(std::move(r));
    parts_.publication->when_published(last, [this, shared, result, first, last](const Status& published) {
      const Result<CommandOutcome>& out = *result;
      if (!published) {
        // Durable, but the read models stopped before they covered it: say
        // so, with its positions, rather than let the client wait (or retry
        // and write it twice).
        parts_.metrics->command("committed_not_visible");
        return shared->fail(503, "committed_not_visible",
                            "committed at position" +
                                (first == last ? " " + std::to_string(last)
                                               : "s " + std::to_string(first) + " to " + std::to_string(last)) +
                                ", durable, but the read models stopped before they showed it (" + published.message() +
                                "): do not send it again");
      }
      if (!out) {
        parts_.metrics->command(out.status().reason());
        return shared->fail(out.status());
      }
      parts_.metrics->command(out->replayed ? "replayed" : "accepted");
      HttpResponse resp;
      resp.status = 201;
      resp.body = outcome_text(*out);
      if (out->replayed) resp.headers.emplace_back("Idempotent-Replayed", "true");
      shared->reply(std::move(resp));
    });
  });
}

}  // namespace pl
