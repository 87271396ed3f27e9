// Storage faults: a file system of our own under RocksDB that fails syncs,
// fails writes, or says the disk is full. The writer must refuse what it could
// not make durable, never acknowledge what it did not write, stay consistent,
// and take commands again once the fault is gone.
#include <doctest/doctest.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <atomic>
#include <set>

#include "ledger/commands.h"
#include "ledger/dates.h"
#include "util.h"

using namespace pl;

namespace {

enum class Fault { none, sync, write, full };

class FaultFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FaultFile(std::unique_ptr<rocksdb::FSWritableFile>&& f, std::atomic<Fault>& fault)
      : FSWritableFileOwnerWrapper(std::move(f)), fault_(fault) {}
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override {
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
    if (fault_ == Fault::write) return rocksdb::IOStatus::IOError("injected: write failed");
    if (fault_ == Fault::full) return rocksdb::IOStatus::NoSpace("injected: no space left on device");
    return rocksdb::IOStatus::OK();
  }
  std::atomic<Fault>& fault_;
};

class FaultFs : public rocksdb::FileSystemWrapper {
 public:
  explicit FaultFs(std::shared_ptr<rocksdb::FileSystem> base) : FileSystemWrapper(std::move(base)) {}
  const char* Name() const override { return "FaultFs"; }
  rocksdb::IOStatus NewWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSWritableFile>* r, rocksdb::IODebugContext* d) override {
    auto st = FileSystemWrapper::NewWritableFile(f, o, r, d);
    if (st.ok()) *r = std::make_unique<FaultFile>(std::move(*r), fault);
    return st;
  }
  rocksdb::IOStatus ReopenWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                       std::unique_ptr<rocksdb::FSWritableFile>* r, rocksdb::IODebugContext* d) override {
    auto st = FileSystemWrapper::ReopenWritableFile(f, o, r, d);
    if (st.ok()) *r = std::make_unique<FaultFile>(std::move(*r), fault);
    return st;
  }
  rocksdb::IOStatus ReuseWritableFile(const std::string& f, const std::string& old, const rocksdb::FileOptions& o,
                                      std::unique_ptr<rocksdb::FSWritableFile>* r, rocksdb::IODebugContext* d) override {
    auto st = FileSystemWrapper::ReuseWritableFile(f, old, o, r, d);
    if (st.ok()) *r = std::make_unique<FaultFile>(std::move(*r), fault);
    return st;
  }
  std::atomic<Fault> fault{Fault::none};
};

Rules rules() {
  Rules r;
  r.hour_cap_minutes = 100000;
  r.fee_cap_cents = 310000;
  r.min_months = 6;
  r.max_months = 12;
  r.application_deadline_us = parse_instant("2030-01-01T00:00:00Z").value();
  r.cofunding_bp = 9000;
  return r;
}

}  // namespace

TEST_CASE("storage faults: refused, never acknowledged unwritten, consistent, and recovered") {
  for (Fault fault : {Fault::sync, Fault::write, Fault::full}) {
    CAPTURE(static_cast<int>(fault));
    test::TempDir dir;
    auto fs = std::make_shared<FaultFs>(rocksdb::FileSystem::Default());
    std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
    std::set<std::string> acknowledged, refused;
    {
      StoreOptions so;
      so.env = env.get();
      auto store = Store::open(dir.path(), so);
      REQUIRE(store.is_ok());
      auto writer = Writer::start(**store);
      REQUIRE(writer.is_ok());
      Actor who{"tester", "coordinator"};
      auto run = [&](AnyCommand c) { return (*writer)->execute(make_command(std::move(c), who)); };
      REQUIRE(run(OpenProgramme{"p", "P", "C", rules()}).is_ok());
      int n = 0;
      // Each enrolment carries an idempotency key, as a client that retries would.
      auto enrol_id = [&](const std::string& id) {
        Command c = make_command(EnrolMentee{"p", id, "N", "Cluster", "s", "TN", "w"}, who);
        c.idempotency_key = "enrol-" + id;
        c.fingerprint = sha256(id);
        return (*writer)->execute(std::move(c));
      };
      auto enrol = [&] {
        std::string id = "m" + std::to_string(++n);
        auto r = enrol_id(id);
        (r.is_ok() ? acknowledged : refused).insert(id);
        return r;
      };
      for (int i = 0; i < 5; ++i) REQUIRE(enrol().is_ok());
      Head before = (*store)->head();

      fs->fault = fault;
      for (int i = 0; i < 5; ++i) {
        auto r = enrol();
        REQUIRE_FALSE(r.is_ok());
        CHECK(r.status().kind() == Kind::io_error);
        // The write that failed may have reached the disk: it says so. Later
        // ones fail before writing (the store cannot be reopened): they say so.
        if (i == 0) CHECK(r.status().message().find("may or may not") != std::string::npos);
        else CHECK(r.status().message().find("nothing was written") != std::string::npos);
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
      CHECK((*store)->head().position == before.position + 10);
      auto rep = (*store)->verify();
      CHECK_MESSAGE(rep.ok, rep.detail);
    }
    // After a restart: every acknowledged command is there, the chain verifies,
    // and no refused command took the place of an acknowledged one.
    auto store = Store::open(dir.path());
    REQUIRE(store.is_ok());
    auto rep = (*store)->verify();
    CHECK_MESSAGE(rep.ok, rep.detail);
    State s;
    REQUIRE((*store)->scan(1, 0, [&](const EventView& e) {
      s.apply(e);
      return Status::ok();
    }).is_ok());
    for (auto& id : acknowledged) CHECK_MESSAGE(State::find(s.mentees(), id) != nullptr, id);
    for (auto& id : refused) CHECK_MESSAGE(State::find(s.mentees(), id) != nullptr, id);
    CHECK(s.count(fb::Event::MenteeEnrolled) == acknowledged.size() + refused.size());
  }
}
