// Storage faults: a file system of our own under RocksDB that fails syncs,
// fails writes, or says the disk is full. The writer must refuse what it could
// not make durable, never acknowledge what it did not write, stay consistent,
// and take commands again once the fault is gone.
#include <doctest/doctest.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <atomic>
#include <future>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "base/dates.h"
#include "domain/commands.h"
#include "domain/decide.h"
#include "fixtures.h"
#include "http/service.h"
#include "writer/writer.h"

using namespace pl;

namespace {

enum class Fault { none, sync, write, full, stall };

class FaultFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FaultFile(std::unique_ptr<rocksdb::FSWritableFile>&& f, std::atomic<Fault>& fault)
      : FSWritableFileOwnerWrapper(std::move(f)), fault_(fault) {}
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                           rocksdb::IODebugContext* d) override {
    if (auto st = write_fault(); !st.ok()) return st;
    return FSWritableFileOwnerWrapper::Append(data, o, d);
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                           const rocksdb::DataVerificationInfo& v, rocksdb::IODebugContext* d) override {
    if (auto st = write_fault(); !st.ok()) return st;
    return FSWritableFileOwnerWrapper::Append(data, o, v, d);
  }
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override {
    if (fault_ == Fault::sync) return rocksdb::IOStatus::IOError("injected: fsync failed");
    return FSWritableFileOwnerWrapper::Sync(o, d);
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override {
    if (fault_ == Fault::sync) return rocksdb::IOStatus::IOError("injected: fsync failed");
    return FSWritableFileOwnerWrapper::Fsync(o, d);
  }

 private:
  rocksdb::IOStatus write_fault() {
    // A disk that takes nothing and says nothing, until the fault ends.
    while (fault_ == Fault::stall) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (fault_ == Fault::write) return rocksdb::IOStatus::IOError("injected: write failed");
    if (fault_ == Fault::full) return rocksdb::IOStatus::NoSpace("injected: no space left on device");
    return rocksdb::IOStatus::OK();
  }
  std::atomic<Fault>& fault_;
};

class FaultFs : public rocksdb::FileSystemWrapper {
 public:
  explicit FaultFs(const std::shared_ptr<rocksdb::FileSystem>& base) : FileSystemWrapper(base) {}
  const char* Name() const override { return "FaultFs"; }
  rocksdb::IOStatus NewWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSWritableFile>* r, rocksdb::IODebugContext* d) override {
    auto st = FileSystemWrapper::NewWritableFile(f, o, r, d);
    if (st.ok()) *r = std::make_unique<FaultFile>(std::move(*r), fault);
    return st;
  }
  rocksdb::IOStatus ReopenWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                       std::unique_ptr<rocksdb::FSWritableFile>* r,
                                       rocksdb::IODebugContext* d) override {
    auto st = FileSystemWrapper::ReopenWritableFile(f, o, r, d);
    if (st.ok()) *r = std::make_unique<FaultFile>(std::move(*r), fault);
    return st;
  }
  rocksdb::IOStatus ReuseWritableFile(const std::string& f, const std::string& old, const rocksdb::FileOptions& o,
                                      std::unique_ptr<rocksdb::FSWritableFile>* r,
                                      rocksdb::IODebugContext* d) override {
    auto st = FileSystemWrapper::ReuseWritableFile(f, old, o, r, d);
    if (st.ok()) *r = std::make_unique<FaultFile>(std::move(*r), fault);
    return st;
  }
  std::atomic<Fault> fault{Fault::none};
};

// Any country and area, a deadline in 2030, hours that never run out.
Rules rules() {
  return test::programme_rules({.hour_cap_minutes = 100000,
                                .application_deadline = "2030-01-01T00:00:00Z",
                                .mentee_countries = {},
                                .mentor_countries = {},
                                .knowledge_areas = {},
                                .expert_min_years = 0,
                                .max_tours_per_mentee = 0});
}

// A temporary directory with the fault-injecting file system under it.
struct FaultyDir {
  test::TempDir dir;
  std::shared_ptr<FaultFs> fs = std::make_shared<FaultFs>(rocksdb::FileSystem::Default());
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
};

// A store and its writer on a FaultyDir, with programme "p" opened.
struct FaultyLedger {
  std::unique_ptr<Store> store;
  std::unique_ptr<Writer> writer;
  Actor who{"tester", "coordinator"};

  explicit FaultyLedger(const FaultyDir& d) {
    StoreOptions so;
    so.env = d.env.get();
    auto s = Store::open(d.dir.path(), so);
    REQUIRE(s.is_ok());
    store = std::move(s).value();
    WriterOptions wo;
    wo.vault = test::test_vault(*store);
    auto w = Writer::start(*store, wo);
    REQUIRE(w.is_ok());
    writer = std::move(w).value();
    REQUIRE(run(OpenProgramme{"p", "P", "C", rules()}).is_ok());
  }
  Result<CommandOutcome> run(AnyCommand c) { return writer->execute(make_command(std::move(c), who)); }
};

}  // namespace

TEST_CASE("storage faults: refused, never acknowledged unwritten, consistent, and recovered") {
  for (Fault fault : {Fault::sync, Fault::write, Fault::full}) {
    CAPTURE(static_cast<int>(fault));
    FaultyDir d;
    auto& fs = d.fs;
    std::set<std::string> acknowledged, refused;
    {
      FaultyLedger l(d);
      auto& store = l.store;
      int n = 0;
      // Each enrolment carries an idempotency key, as a client that retries would.
      auto enrol_id = [&](const std::string& id) {
        Command c = make_command(EnrolMentee{"p", id, "N", "Cluster", "s", "TN", "w"}, l.who);
        c.idempotency_key = "enrol-" + id;
        c.fingerprint = sha256(id);
        return l.writer->execute(std::move(c));
      };
      auto enrol = [&] {
        std::string id = "m" + std::to_string(++n);
        auto r = enrol_id(id);
        (r.is_ok() ? acknowledged : refused).insert(id);
        return r;
      };
      for (int i = 0; i < 5; ++i) REQUIRE(enrol().is_ok());
      Head before = store->head();

      fs->fault = fault;
      for (int i = 0; i < 5; ++i) {
        auto r = enrol();
        REQUIRE_FALSE(r.is_ok());
        CHECK(r.status().kind() == Kind::io_error);
        // The write that failed may have reached the disk: it says so. Later
        // ones fail before writing (the store cannot be reopened): they say so.
        if (i == 0)
          CHECK(r.status().message().find("may or may not") != std::string::npos);
        else
          CHECK(r.status().message().find("nothing was written") != std::string::npos);
      }

      fs->fault = Fault::none;  // the fault ends: commands are taken again
      for (int i = 0; i < 5; ++i) {
        auto r = enrol();
        CHECK_MESSAGE(r.is_ok(), r.status().to_string());
      }
      // The refused ones, retried with their keys, are each recorded once: a
      // failed write that reached the disk anyway is answered, not repeated.
      for (auto& id : refused) {
        auto r = enrol_id(id);
        CHECK_MESSAGE(r.is_ok(), r.status().to_string());
      }
      CHECK(store->head().position == before.position + 10);
      auto rep = store->verify();
      CHECK_MESSAGE(rep.ok, rep.detail);
    }
    // After a restart: every acknowledged command is there, the chain verifies,
    // and no refused command took the place of an acknowledged one.
    auto store = Store::open(d.dir.path());
    REQUIRE(store.is_ok());
    auto rep = (*store)->verify();
    CHECK_MESSAGE(rep.ok, rep.detail);
    State s;
    REQUIRE((*store)
                ->scan(1, 0,
                       [&](const EventView& e) {
                         s.apply(e);
                         return Status::ok();
                       })
                .is_ok());
    for (auto& id : acknowledged) CHECK_MESSAGE(State::find(s.mentees(), id) != nullptr, id);
    for (auto& id : refused) CHECK_MESSAGE(State::find(s.mentees(), id) != nullptr, id);
    CHECK(s.count(fb::Event::MenteeEnrolled) == acknowledged.size() + refused.size());
  }
}

// The same faults seen from the edge: the service (the HTTP layer's only
// callee) answers 503 with the code io_error and a message a client can act
// on, keeps answering reads, writes nothing it refused, and takes the command
// again, once, when the fault ends.
TEST_CASE("storage faults at the edge: 503 io_error with a clear message, reads still served, then recovery") {
  using nlohmann::json;
  for (Fault fault : {Fault::sync, Fault::write, Fault::full}) {
    CAPTURE(static_cast<int>(fault));
    FaultyDir d;
    auto& fs = d.fs;
    ServiceOptions so;
    so.env = d.env.get();
    test::InProcess p(so);
    Service* service = &p.service();
    auto call = [&](const std::string& method, const std::string& target, const json& body = nullptr,
                    const std::string& key = "") {
      return p.call(
          {.method = method, .target = target, .body = body, .idempotency_key = key, .wait = std::chrono::seconds(20)});
    };
    json programme = test::programme_body(test::small_programme());
    REQUIRE(call("POST", "/v1/programmes", programme).status == 201);
    auto mentee = [](const std::string& id) {
      return test::mentee_body({.id = id, .name = "N", .cluster_name = "C", .sectors = "s", .website = "w"});
    };
    REQUIRE(call("POST", "/v1/programmes/p/mentees", mentee("m1"), "k1").status == 201);
    std::uint64_t head = service->store().head().position;

    fs->fault = fault;
    HttpResponse refused = call("POST", "/v1/programmes/p/mentees", mentee("m2"), "k2");
    CHECK(refused.status == 503);
    json err = json::parse(refused.body)["error"];
    CHECK(err["code"] == "storage_error");
    std::string message = err["message"];
    CHECK_MESSAGE(message.find("a retry with the same Idempotency-Key") != std::string::npos, message);
    // A second command while the fault lasts is refused before anything is written.
    HttpResponse again = call("POST", "/v1/programmes/p/mentees", mentee("m3"), "k3");
    CHECK(again.status == 503);
    CHECK(json::parse(again.body)["error"]["code"] == "storage_error");
    // Reads go on from the read models.
    CHECK(call("GET", "/healthz").status == 200);
    HttpResponse mentees = call("GET", "/v1/programmes/p/mentees");
    CHECK(mentees.status == 200);

    fs->fault = Fault::none;
    // The retry of the command whose outcome was unknown is recorded once; the
    // one refused before writing is recorded now.
    CHECK(call("POST", "/v1/programmes/p/mentees", mentee("m2"), "k2").status / 100 == 2);
    CHECK(call("POST", "/v1/programmes/p/mentees", mentee("m2"), "k2").status / 100 == 2);
    CHECK(call("POST", "/v1/programmes/p/mentees", mentee("m3"), "k3").status == 201);
    CHECK(service->store().head().position == head + 2);
    json listed = json::parse(call("GET", "/v1/programmes/p/mentees").body);
    CHECK(listed["mentees"].size() == 3);
    auto rep = service->store().verify();
    CHECK_MESSAGE(rep.ok, rep.detail);
    service->stop();
  }
}

TEST_CASE("a store whose reopen failed answers every call with unavailable, verify included, and recovers") {
  FaultyDir d;
  FaultyLedger l(d);

  d.fs->fault = Fault::write;
  CHECK_FALSE(l.run(EnrolMentee{"p", "m1", "N", "Cluster", "s", "TN", "w"}).is_ok());  // the commit fails
  CHECK_FALSE(l.run(EnrolMentee{"p", "m2", "N", "Cluster", "s", "TN", "w"}).is_ok());  // and so does the reopen
  const Store& s = *l.store;
  VerifyReport rep = s.verify();  // used to dereference a closed database
  CHECK_FALSE(rep.ok);
  CHECK(rep.problem == VerifyProblem::unavailable);
  CHECK(s.read_one(1).status().is(Kind::unavailable));
  CHECK(s.scan(1, 0, [](const EventView&) { return Status::ok(); }).is(Kind::unavailable));
  CHECK(s.stream_version("programme-p").status().is(Kind::unavailable));
  CHECK(s.find_command("k").status().is(Kind::unavailable));
  CHECK(s.get_checkpoint("read_models").status().is(Kind::unavailable));

  d.fs->fault = Fault::none;
  CHECK(l.run(EnrolMentee{"p", "m3", "N", "Cluster", "s", "TN", "w"}).is_ok());
  VerifyReport after = s.verify();
  CHECK_MESSAGE(after.ok, after.detail);
}

// The read models stop for good (a read of the store that fails otherwise
// than while the store reopens): a command already committed is answered 503
// committed_not_visible with its position, not left waiting; later commands
// are refused before anything is written; /healthz says why.
TEST_CASE("read models that stop: the waiting command is answered with its position, later ones are refused") {
  using nlohmann::json;
  std::atomic<bool> fail_reads{false};
  ServiceOptions so;
  so.projector_fault = [&](std::uint64_t) {
    return fail_reads ? Status::io_error("injected: the store could not be read") : Status::ok();
  };
  test::InProcess p(so);
  Service* service = &p.service();
  auto call = [&](const std::string& method, const std::string& target, const json& body = nullptr) {
    return p.call({.method = method, .target = target, .body = body, .wait = std::chrono::seconds(20)});
  };
  REQUIRE(call("POST", "/v1/programmes", test::programme_body(test::small_programme())).status == 201);
  CHECK(call("GET", "/healthz").status == 200);
  std::uint64_t head = service->store().head().position;

  fail_reads = true;
  HttpResponse waiting = call("POST", "/v1/programmes/p/mentees", test::mentee_body({}));
  CHECK(waiting.status == 503);
  json err = json::parse(waiting.body)["error"];
  CHECK(err["code"] == "committed_not_visible");
  std::string message = err["message"];
  CHECK_MESSAGE(message.find("committed at position " + std::to_string(head + 1) + ", durable") != std::string::npos,
                message);
  CHECK(service->store().head().position == head + 1);  // it is durable

  HttpResponse refused = call("POST", "/v1/programmes/p/mentees", test::mentee_body({.id = "m2"}));
  CHECK(refused.status == 503);
  CHECK(json::parse(refused.body)["error"]["code"] == "read_models_stopped");
  CHECK(service->store().head().position == head + 1);  // nothing written

  HttpResponse health = call("GET", "/healthz");
  CHECK(health.status == 503);
  std::string reason = json::parse(health.body)["reason"];
  CHECK_MESSAGE(reason.find("injected: the store could not be read") != std::string::npos, reason);
  service->stop();
}

namespace {

// An evidence upload of `bytes` as text, through the service's streamed
// body, as the HTTP layer gives it. An answer that does not come within 30 s
// is the failure the tests below are about: the test fails, and the process
// ends (a worker stuck in the store cannot be stopped).
HttpResponse upload_text(test::InProcess& p, const std::string& bytes) {
  HttpRequest head;
  head.method = "POST";
  head.target = "/v1/evidence";
  head.authorization = "Bearer " + p.token();
  head.content_type = "text/plain";
  head.filename = "notes.txt";
  auto opened = p.service().open_stream(head);
  REQUIRE(opened.has_value());
  REQUIRE(opened->sink != nullptr);
  auto wait = [](auto& future) {
    if (future.wait_for(std::chrono::seconds(30)) == std::future_status::ready) return;
    FAIL_CHECK("the upload was not answered within 30 s");
    std::_Exit(1);
  };
  auto step = std::make_shared<std::promise<std::optional<HttpResponse>>>();
  auto written = step->get_future();
  opened->sink->write(bytes, [step](std::optional<HttpResponse> r) { step->set_value(std::move(r)); });
  wait(written);
  if (auto refused = written.get()) return *refused;
  auto answer = std::make_shared<std::promise<HttpResponse>>();
  auto got = answer->get_future();
  opened->sink->finish([answer](HttpResponse r) { answer->set_value(std::move(r)); });
  wait(got);
  return got.get();
}

}  // namespace

// A disk that fills while a document is uploaded: the upload is answered 503,
// and /healthz says that writes fail until one succeeds again.
TEST_CASE("evidence upload on a full disk: 503, and health says writes fail until one succeeds") {
  using nlohmann::json;
  FaultyDir d;
  ServiceOptions so;
  so.env = d.env.get();
  test::InProcess p(so);
  REQUIRE(upload_text(p, std::string(5000, 'a')).status == 201);

  d.fs->fault = Fault::full;
  HttpResponse full = upload_text(p, std::string(300'000, 'b'));
  CHECK(full.status == 503);
  CHECK(json::parse(full.body)["error"]["code"] == "storage_error");
  HttpResponse health = p.call({.method = "GET", .target = "/healthz"});
  CHECK(health.status == 503);
  std::string reason = json::parse(health.body).value("reason", "");
  CHECK_MESSAGE(reason.find("writing evidence documents fails") != std::string::npos, reason);
  d.fs->fault = Fault::none;
  p.service().stop();
}

// A disk that stops answering while a document is made durable: the upload
// is answered 503 within the flush's bound rather than held for as long as
// the disk is, and the next upload is refused at once while the disk still
// holds the earlier flush; once it answers again, uploads are taken.
TEST_CASE("evidence upload on a stuck disk: 503 within the bound, the next one at once, then taken again") {
  using nlohmann::json;
  FaultyDir d;
  ServiceOptions so;
  so.env = d.env.get();
  test::InProcess p(so);
  REQUIRE(upload_text(p, std::string(5000, 'a')).status == 201);

  d.fs->fault = Fault::stall;
  HttpResponse stuck = upload_text(p, std::string(300'000, 'b'));
  CHECK(stuck.status == 503);
  CHECK(json::parse(stuck.body)["error"]["code"] == "storage_error");
  HttpResponse next = upload_text(p, std::string(300'000, 'c'));
  CHECK(next.status == 503);
  std::string message = json::parse(next.body)["error"]["message"];
  CHECK_MESSAGE(message.find("has not finished writing earlier documents") != std::string::npos, message);
  CHECK(p.call({.method = "GET", .target = "/healthz"}).status == 503);

  d.fs->fault = Fault::none;
  HttpResponse taken;
  for (int i = 0; i < 100; ++i) {  // the earlier flush ends first
    taken = upload_text(p, std::string(300'000, 'd'));
    if (taken.status == 201) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK(taken.status == 201);
  CHECK(p.call({.method = "GET", .target = "/healthz"}).status == 200);
  p.service().stop();
}
