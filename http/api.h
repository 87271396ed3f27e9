// The HTTP API inside the service: the request context, the router and the
// handlers, one file per resource:
//   route_table.h/.cc  the table of every endpoint
//   router.cc          the router: the table's row, the token and role, then the row's handler
//   asof_reads.cc      the read models a read is answered from (published, or as of a point)
//   mentor_scope.h/.cc what a mentor may reach
//   command.cc         running a route's command
//   responses.h/.cc    JSON and error answers, the target's readers
//   openapi.cc         the OpenAPI document, made from the table
//   api_site.cc        outside /v1: health, metrics, the dashboard's files, /v1/me
//   api_programmes.cc  programmes, mentees, applications, budget, hours, tours, meetings
//   api_pairs.cc       pairs and invoices
//   api_audit.cc       the log, streams, the live feed, head, verify, export
//   api_proofs.cc      signed checkpoints, inclusion and consistency proofs, verifier keys
//   api_evidence.cc    evidence documents: the streamed upload, the download
// Internal to http/: the Service is its only user.
#pragma once

#include <atomic>
#include <functional>
#include <initializer_list>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "domain/commands.h"
#include "http/evidence_quota.h"
#include "http/health.h"
#include "http/message.h"
#include "http/metrics.h"
#include "http/publication.h"
#include "http/responses.h"
#include "http/token_file.h"
#include "http/worker.h"
#include "log/signer.h"
#include "read/asof.h"
#include "read/projector.h"
#include "render/views_json.h"
#include "writer/writer.h"

namespace pl {

struct Route;

class Api {
 public:
  // What the API works over. Every pointer must outlive the Api.
  struct Parts {
    Store* store = nullptr;
    Projector* projector = nullptr;
    Writer* writer = nullptr;
    Metrics* metrics = nullptr;
    const Signer* signer = nullptr;
    const Vault* vault = nullptr;  // opens the personal fields of what is served
    std::function<std::int64_t()> clock;
    AsOfOptions asof;
    EvidenceQuota::Limits quota;
    // The dashboard's files: name -> (content type, bytes).
    std::map<std::string, std::pair<std::string, std::string>> assets;
    TokenFile* tokens = nullptr;         // who calls
    Publication* publication = nullptr;  // how far reads see, and the wait for a write to be seen
    Health* health = nullptr;            // what /healthz says; failed reads mark it
  };
  explicit Api(Parts parts);
  ~Api();

  struct Ctx {
    HttpRequest req;
    std::string path;
    std::map<std::string, std::string> query;
    std::map<std::string, std::string> params;
    Principal who;
    std::string route;            // "METHOD pattern", for logs and metrics
    const Route* spec = nullptr;  // the row of the route table
    std::function<void(HttpResponse)> done;
    Health* health = nullptr;

    void reply(HttpResponse r) {
      r.route = route;
      done(std::move(r));
    }
    void fail(const Status& st) {
      // A read that failed under the ledger makes /healthz say so.
      // (A command refused by a failing disk is not: the writer reopens the
      // store and says so in its answer.)
      bool read = req.method == "GET" || req.method == "HEAD";
      if (health && (st.is(Kind::corruption) || (read && st.is(Kind::io_error)))) health->mark_unhealthy(st.message());
      reply(error_response(st));
    }
    bool is_mentor() const { return who.role == "mentor"; }
    // What a mentor may see in `rm`; nullopt for every other role (no limit).
    std::optional<MentorScope> mentor_scope(const ReadModels& rm) const {
      if (!is_mentor()) return std::nullopt;
      return MentorScope(rm, who.mentor_id);
    }
    // The mentor a stream is cut for ("-": a mentor token without an id sees
    // nothing); empty for every other role.
    std::string stream_mentor() const {
      if (!is_mentor()) return {};
      return who.mentor_id.empty() ? "-" : who.mentor_id;
    }
    void forbid_mentor(const std::string& what) {
      reply(error_response(403, "forbidden",
                           "mentor " + who.mentor_id + " may reach its own pairs and what belongs to them only; " +
                               what + " is not one of them"));
    }
    void fail(int status, const std::string& code, const std::string& message) {
      reply(error_response(status, code, message));
    }
    std::string q(const std::string& k) const {
      auto it = query.find(k);
      return it == query.end() ? std::string() : it->second;
    }
    bool has(const std::string& k) const { return query.count(k) > 0; }
    // The programme the path's {pid} names, as of `rm`: its index; null, with
    // 404 not_found answered, when there is no such programme.
    const ProgrammeIndex* programme_or_404(const ReadModels& rm);
    void fail_no_programme(const std::string& id) { fail(404, "not_found", "no programme '" + id + "'"); }
    // Whether the answer is asked with its explanations (?explain=1 or true).
    bool explain() const {
      std::string ex = q("explain");
      return ex == "1" || ex == "true";
    }
    // The path's value named `name` (pair, mid, ...); null if the path has none.
    const std::string* param(const char* name) const {
      auto it = params.find(name);
      return it == params.end() ? nullptr : &it->second;
    }
  };
  using Handler = void (Api::*)(Ctx&);
  // Opens the sink of a streamed route (Route::streamed) once the token and
  // role are checked: the sink, or no sink and the refusal answered.
  using Opener = StreamedBody (Api::*)(Ctx&);

  // Routes the request by the route table (http/routes.h): 404 or 405 for
  // a path or method it does not have, 401 without a known token where one
  // is needed, 403 for a role the row does not name; then the row's handler
  // or command. `done` is called exactly once, possibly on another thread.
  void handle(HttpRequest req, std::function<void(HttpResponse)> done);
  // Service::open_stream.
  std::optional<StreamedBody> open_stream(const HttpRequest& head);
  // Stops the as-of and verify threads (their queued callers are answered
  // 503). Idempotent; call before the parts go away.
  void stop();

 private:
  // --- plumbing
  // Parses the target and finds its row (c.spec, c.params, c.query,
  // c.route); answers 400, 404 or 405 and gives null otherwise.
  const Route* route(Ctx& c);
  // Checks the token and the role the row asks for (c.who); answers 401 or
  // 403 and gives false otherwise.
  bool authorize(Ctx& c);
  // A streamed route's request whose body was read whole.
  void stream_whole(Ctx& c);
  // Calls fn with the read models the request asks for: the published ones,
  // or for ?as_of=/?at= on a route that takes them, a replay to that point
  // (on the as-of thread). A mentor is refused (403) here if the route's
  // entity is not its own in those models. For an as-of read of a path that
  // names a programme, `first` (when given) is tried on the as-of thread
  // before that programme's models are made, with the programme, the
  // position asked and the day the answer is of (the `today` fn would be
  // given): it answers without them (true) or leaves it to fn.
  using AsOfFirst = std::function<bool(Ctx&, const std::string& programme, std::uint64_t position, std::int32_t today)>;
  void with_models(Ctx& c, std::function<void(Ctx&, const ReadModels&, std::int32_t today)> fn, AsOfFirst first = {});
  // Runs the route's command: body and path ids to a command, then the writer;
  // answers 201 once reads see the write.
  void command(Ctx& c);
  // Whether the entity the path names belongs to the calling mentor (a
  // missing entity passes: its handler answers 404); answers 403 if not.
  bool mentor_owns(Ctx& c, const ReadModels& rm);
  static const MenteeState* readable_mentee(Ctx& c, const ReadModels& rm);
  static bool tree_arg(Ctx& c, const char* name, std::uint64_t fallback, std::uint64_t head, std::uint64_t* out);

 public:
  // --- outside /v1
  void healthz(Ctx& c);
  void metrics(Ctx& c);
  void index(Ctx& c);
  void asset(Ctx& c);
  void openapi(Ctx& c);
  void me(Ctx& c);
  // --- reads
  void programmes(Ctx& c);
  void programme(Ctx& c);
  void mentees(Ctx& c);
  void mentee(Ctx& c);
  void caps(Ctx& c);
  void mentor_suggestions(Ctx& c);
  void applications(Ctx& c);
  void application(Ctx& c);
  void pairs(Ctx& c);
  void pair(Ctx& c);
  void invoice(Ctx& c);
  void budget_view(Ctx& c);
  void budget_xlsx(Ctx& c);
  void hours_view(Ctx& c);
  void tours(Ctx& c);
  void meetings(Ctx& c);
  // --- the control of spending (api_control.cc)
  void evidence_gaps(Ctx& c);
  void samples(Ctx& c);
  void sample(Ctx& c);
  void findings(Ctx& c);
  void late_entries(Ctx& c);
  void events(Ctx& c);
  void stream(Ctx& c);
  void live(Ctx& c);
  void head(Ctx& c);
  void verify(Ctx& c);
  void subject_access(Ctx& c);  // api_audit.cc
  void export_log(Ctx& c);
  // --- the verifiable log (api_proofs.cc)
  void checkpoint(Ctx& c);
  void inclusion_proof(Ctx& c);
  void consistency_proof(Ctx& c);
  void audit_key(Ctx& c);
  void audit_pack(Ctx& c);
  // --- evidence documents (api_evidence.cc)
  StreamedBody upload_evidence(Ctx& c);
  void evidence_document(Ctx& c);
  void evidence_meta(Ctx& c);

 private:
  // Whether the caller may read the stored document `sha256` (api_evidence.cc).
  bool may_read_evidence(const Ctx& c, const ReadModels& rm, const Hash& sha256);
  // unknown_evidence (as for a document not stored) when the caller may not
  // read the document it would attach.
  Status may_attach(const Ctx& c, const AttachEvidence& a);

  Parts parts_;

  // As-of replays run on their own thread, verify on another, neither on the
  // I/O threads that answer ordinary reads. One verify at a time: callers
  // that come while one runs are answered with its report.
  // Whether the snapshots prepared at start (prepare_snapshots) are done:
  // until then the as-of lane runs that chain between the requests' jobs.
  std::atomic<bool> asof_prepared_{false};
  // The models of one programme as of a point, from its kept snapshots; used
  // on the as-of worker's thread (declared first: destroyed after it).
  std::unique_ptr<AsOfModels> asof_models_;
  std::unique_ptr<Worker> asof_worker_, verify_worker_;
  // Evidence documents' pieces, flushes and reads, off the I/O threads.
  std::unique_ptr<Worker> evidence_worker_;
  std::unique_ptr<EvidenceQuota> quota_;  // what documents may take of the disk
  std::mutex verify_mu_;
  bool verify_running_ = false;
  std::vector<std::function<void(const Result<VerifyReport>&)>> verify_waiters_;
  // The programme a path names (by id, or through its mentee, application,
  // pair or invoice as of `rm`); empty if none.
  static std::string programme_of(const Ctx& c, const ReadModels& rm);
  // Makes the budget timelines and the missing snapshots of the programmes
  // from the index's i-th on, one programme per job on the as-of worker, so
  // that as-of reads are answered between them.
  void prepare_snapshots(std::shared_ptr<std::vector<std::string>> programmes, std::size_t i);
  std::mutex asof_mu_;
  std::vector<std::pair<std::uint64_t, std::shared_ptr<const ReadModels>>> asof_cache_;  // most recent last
};

}  // namespace pl
