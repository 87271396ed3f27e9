// The vault: the master key's file, sealing and opening personal fields,
// destroying a subject's key, staff pseudonyms, rotating the master key.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "log/vault.h"
#include "util.h"

using namespace pl;
using pl::test::TempDir;

namespace {

std::vector<std::string> subjects(std::initializer_list<const char*> ids) { return {ids.begin(), ids.end()}; }

std::string file_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Every file under `dir` that holds `needle`, byte for byte.
std::vector<std::string> files_holding(const std::string& dir, std::string_view needle) {
  std::vector<std::string> found;
  for (auto& f : std::filesystem::recursive_directory_iterator(dir))
    if (f.is_regular_file() && file_bytes(f.path()).find(needle) != std::string::npos)
      found.push_back(f.path().string());
  return found;
}

// Seals as the writer does, in a batch of its own that is committed at once
// (with the keys made for it).
Result<std::string> seal(Vault& vault, Store& store, const FieldPlace& at, std::span<const std::string> who,
                         std::string_view text) {
  Batch batch = store.begin(1'700'000'000'000'000);
  auto box = vault.seal(at, who, text, batch);
  if (box) PL_RETURN_IF_ERROR(store.commit(batch));
  return box;
}

}  // namespace

TEST_CASE("the master key's file: its text, its id, mode 0600, and what is not a key") {
  TempDir dir;
  auto m = MasterKey::generate().value();
  CHECK(m.id.size() == 8);
  auto back = MasterKey::parse(m.text()).value();
  CHECK(back.key == m.key);
  CHECK(back.id == m.id);
  std::string file = dir.sub("master.key");
  REQUIRE(m.save(file));
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(MasterKey::load(file).value().key == m.key);
  CHECK(MasterKey::load(dir.sub("none")).status().kind() == Kind::not_found);

  std::string text = m.text();
  std::string other_id = text;
  other_id[16] = other_id[16] == '0' ? '1' : '0';  // a digit of the id
  CHECK(MasterKey::parse(other_id).status().kind() == Kind::invalid_argument);
  CHECK(MasterKey::parse("pl-master-key-1 0011aabb AAAA\n").status().kind() == Kind::invalid_argument);
  CHECK(MasterKey::parse("").status().kind() == Kind::invalid_argument);
  CHECK(MasterKey::parse(text + " extra").status().kind() == Kind::invalid_argument);
}

TEST_CASE("a field sealed for its subjects opens at its place only, and not once one subject is forgotten") {
  TempDir dir;
  auto store = Store::open(dir.sub("ledger")).value();
  auto vault = Vault::open(dir.path(), *store, true).value();
  FieldPlace at{7, 12, 18};
  auto both = subjects({"application:a-1", "mentee:m-1"});
  auto one = subjects({"mentee:m-1"});
  auto box = seal(*vault, *store, at, both, "Cluster strategy and the members' survey").value();
  CHECK(box.find("Cluster strategy") == std::string::npos);
  CHECK(vault->open(at, both, box).value() == std::optional<std::string>("Cluster strategy and the members' survey"));
  auto box1 = seal(*vault, *store, at, one, "Amina B.").value();
  // The nonce is derived: the same text at the same place gives the same box;
  // another text, another nonce.
  CHECK(box1 == seal(*vault, *store, at, one, "Amina B.").value());
  CHECK(box1.substr(0, 12) != seal(*vault, *store, at, one, "Amina C.").value().substr(0, 12));
  CHECK(*vault->open(at, one, box1).value() == "Amina B.");

  // Bound to its place and to its subjects: moved, it does not open.
  CHECK(vault->open({8, 12, 18}, both, box).status().kind() == Kind::corruption);
  CHECK(vault->open({7, 13, 18}, both, box).status().kind() == Kind::corruption);
  CHECK(vault->open({7, 12, 20}, both, box).status().kind() == Kind::corruption);
  CHECK(vault->open(at, subjects({"application:a-1", "mentee:m-2"}), box).value() == std::nullopt);
  auto changed = box;
  changed[14] ^= 1;
  CHECK(vault->open(at, both, changed).status().kind() == Kind::corruption);
  // Subjects in their canonical order, each once.
  CHECK(seal(*vault, *store, at, subjects({"mentee:m-1", "application:a-1"}), "x").status().kind() ==
        Kind::invalid_argument);
  CHECK(seal(*vault, *store, at, subjects({"mentee:m-1", "mentee:m-1"}), "x").status().kind() ==
        Kind::invalid_argument);
  CHECK(seal(*vault, *store, at, {}, "x").status().kind() == Kind::invalid_argument);
  CHECK(subject_set({"mentee:m-1", "application:a-1", "mentee:m-1"}) == both);

  // Another vault over the same store and master key reads them.
  {
    Vault again(*store, vault->master());
    CHECK(*again.open(at, both, box).value() == "Cluster strategy and the members' survey");
  }

  // Forget the mentee: with the batch that commits, the key is gone.
  CHECK(!vault->erased("mentee:m-1").value());
  Batch batch = store->begin(1'700'000'000'000'000);
  vault->destroy(batch, "mentee:m-1", 1'700'000'000'000'000);
  CHECK(*vault->open(at, one, box1).value() == "Amina B.");  // not before the commit
  REQUIRE(store->commit(batch));
  vault->forget("mentee:m-1");
  CHECK(vault->erased("mentee:m-1").value());
  CHECK(vault->open(at, one, box1).value() == std::nullopt);
  CHECK(vault->open(at, both, box).value() == std::nullopt);  // either subject forgotten: unreadable
  auto refused = seal(*vault, *store, at, one, "again");
  CHECK(refused.status().reason() == "subject_erased");
  // The other subject's own fields still open.
  auto own = seal(*vault, *store, at, subjects({"application:a-1"}), "Jean D.").value();
  CHECK(*vault->open(at, subjects({"application:a-1"}), own).value() == "Jean D.");
}

TEST_CASE("a new subject's key is stored with the batch that first seals for it, or not at all") {
  TempDir dir;
  auto store = Store::open(dir.sub("ledger")).value();
  auto vault = Vault::open(dir.path(), *store, true).value();
  auto one = subjects({"mentee:m-1"});
  {
    // A batch dropped without a commit leaves no key behind.
    Batch batch = store->begin(1);
    REQUIRE(vault->seal({1, 5, 8}, one, "Amina", batch));
    CHECK(batch.pending_key_record("smentee:m-1").has_value());
    CHECK(!store->get_key_record("smentee:m-1").value().has_value());
  }
  CHECK(!store->get_key_record("smentee:m-1").value().has_value());
  {
    // A rollback to the mark drops the key made after it.
    Batch batch = store->begin(1);
    batch.mark();
    REQUIRE(vault->seal({1, 5, 8}, one, "Amina", batch));
    batch.rollback();
    CHECK(!batch.pending_key_record("smentee:m-1").has_value());
    REQUIRE(store->commit(batch));
    CHECK(!store->get_key_record("smentee:m-1").value().has_value());
  }
  // Two fields of one batch share the key made for the first; both open
  // once it commits, and the key is then in the store.
  Batch batch = store->begin(1);
  auto a = vault->seal({1, 5, 8}, one, "Amina", batch).value();
  auto b = vault->seal({2, 5, 8}, one, "Amina B.", batch).value();
  REQUIRE(store->commit(batch));
  CHECK(store->get_key_record("smentee:m-1").value().has_value());
  Vault again(*store, vault->master());
  CHECK(*again.open({1, 5, 8}, one, a).value() == "Amina");
  CHECK(*again.open({2, 5, 8}, one, b).value() == "Amina B.");
}

TEST_CASE("a destroyed key is in no file of the store once purged") {
  TempDir dir;
  std::string record;
  {
    auto store = Store::open(dir.sub("ledger")).value();
    auto vault = Vault::open(dir.path(), *store, true).value();
    REQUIRE(seal(*vault, *store, {1, 5, 8}, subjects({"mentee:m-9"}), "Name"));
    REQUIRE(store->flush());
    record = store->get_key_record("smentee:m-9").value().value();
    CHECK(!files_holding(dir.sub("ledger"), record).empty());
    Batch batch = store->begin(1);
    vault->destroy(batch, "mentee:m-9", 1);
    REQUIRE(store->commit(batch));
    vault->forget("mentee:m-9");
    REQUIRE(store->purge_key_records());
  }
  CHECK(files_holding(dir.sub("ledger"), record).empty());
}

TEST_CASE("the master key: missing beside data keys, another ledger's, and rotated") {
  TempDir dir;
  auto store = Store::open(dir.sub("ledger")).value();
  CHECK(Vault::open(dir.path(), *store, false).status().kind() == Kind::not_found);
  auto vault = Vault::open(dir.path(), *store, true).value();
  FieldPlace at{3, 5, 6};
  auto who = subjects({"mentee:m-1"});
  auto box = seal(*vault, *store, at, who, "Amina").value();
  std::string id = vault->staff_id("Demo Finance").value();

  // Another master key cannot unwrap the data keys: said, not taken as erased.
  Vault stranger(*store, MasterKey::generate().value());
  CHECK(stranger.open(at, who, box).status().kind() == Kind::invalid_argument);
  // The key file lost while data keys exist: refused, not replaced.
  std::filesystem::rename(dir.sub("master.key"), dir.sub("kept.key"));
  CHECK(Vault::open(dir.path(), *store, true).status().kind() == Kind::invalid_argument);
  CHECK(!std::filesystem::exists(dir.sub("master.key")));
  std::filesystem::rename(dir.sub("kept.key"), dir.sub("master.key"));

  // Rotated: every key wrapped again; the new master opens what the old sealed,
  // and the old one no longer opens anything.
  MasterKey before = vault->master();
  auto next = MasterKey::generate().value();
  REQUIRE(vault->rewrap(next));
  REQUIRE(next.save(dir.sub("master.key")));
  auto reopened = Vault::open(dir.path(), *store, false).value();
  CHECK(reopened->master().id == next.id);
  CHECK(*reopened->open(at, who, box).value() == "Amina");
  CHECK(reopened->staff_id("Demo Finance").value() == id);
  Vault old(*store, before);
  CHECK(old.open(at, who, box).status().kind() == Kind::invalid_argument);

  // rotate_master: the file replaced, the records rewrapped, nothing left beside.
  auto rotated_id = reopened->rotate_master(dir.path()).value();
  CHECK(rotated_id != next.id);
  CHECK(!std::filesystem::exists(dir.sub("master.key.next")));
  auto after = Vault::open(dir.path(), *store, false).value();
  CHECK(after->master().id == rotated_id);
  CHECK(*after->open(at, who, box).value() == "Amina");

  // Stopped half way, before the records were rewrapped: the new key is
  // dropped, the old one stays.
  auto spare = MasterKey::generate().value();
  REQUIRE(spare.save(dir.sub("master.key.next")));
  auto kept = Vault::open(dir.path(), *store, false).value();
  CHECK(kept->master().id == rotated_id);
  CHECK(!std::filesystem::exists(dir.sub("master.key.next")));
  // Stopped after the records were rewrapped, before the rename: the new
  // key is taken and put in place.
  REQUIRE(spare.save(dir.sub("master.key.next")));
  REQUIRE(kept->rewrap(spare));
  auto finished = Vault::open(dir.path(), *store, false).value();
  CHECK(finished->master().id == spare.id);
  CHECK(*finished->open(at, who, box).value() == "Amina");
  CHECK(MasterKey::load(dir.sub("master.key")).value().id == spare.id);
  CHECK(!std::filesystem::exists(dir.sub("master.key.next")));
}

TEST_CASE("a member of staff's subject id: one person however spaced or cased, stable, and not their name") {
  TempDir dir;
  auto store = Store::open(dir.sub("ledger")).value();
  auto vault = Vault::open(dir.path(), *store, true).value();
  std::string a = vault->staff_id("Demo-Finance").value();
  CHECK(a.rfind("staff:", 0) == 0);
  CHECK(a.size() == 6 + 20);
  CHECK(vault->staff_id("  demo-finance ").value() == a);
  CHECK(vault->staff_id("demo-finance").value() == a);
  CHECK(vault->staff_id("Demo  Finance").value() == vault->staff_id("demo finance").value());
  CHECK(vault->staff_id("Demo-Finance2").value() != a);
  CHECK(a.find("finance") == std::string::npos);
  Vault again(*store, vault->master());
  CHECK(again.staff_id("Demo-Finance").value() == a);
  // Another ledger's secret gives another id to the same name.
  TempDir other;
  auto store2 = Store::open(other.sub("ledger")).value();
  auto vault2 = Vault::open(other.path(), *store2, true).value();
  CHECK(vault2->staff_id("Demo-Finance").value() != a);
}

TEST_CASE(
    "a set's prepared sealer gives the same box as sealing with a key made in the batch, and none once forgotten") {
  TempDir dir;
  auto store = Store::open(dir.sub("ledger")).value();
  auto vault = Vault::open(dir.path(), *store, true).value();
  auto pair = subjects({"mentee:m-1", "mentor:r-1"});
  // First: both keys are new, made in the batch; the long way.
  Batch first = store->begin(1);
  auto made = vault->seal({7, 12, 4}, pair, "Reviewed the export plan", first).value();
  REQUIRE(store->commit(first));
  // Then the same place and text under the stored keys: the prepared sealer,
  // twice (made, then reused), and a vault that reads the keys afresh.
  for (int round = 0; round < 2; ++round) {
    Batch again = store->begin(1);
    CHECK(vault->seal({7, 12, 4}, pair, "Reviewed the export plan", again).value() == made);
  }
  Vault fresh(*store, vault->master());
  Batch other = store->begin(1);
  CHECK(fresh.seal({7, 12, 4}, pair, "Reviewed the export plan", other).value() == made);
  CHECK(*vault->open({7, 12, 4}, pair, made).value() == "Reviewed the export plan");
  // Another text at the same place, or the same text elsewhere: another box.
  Batch b = store->begin(1);
  CHECK(vault->seal({7, 12, 4}, pair, "Reviewed the export plan.", b).value() != made);
  CHECK(vault->seal({8, 12, 4}, pair, "Reviewed the export plan", b).value() != made);
  // Once one subject's key is destroyed, neither the cached set key nor the
  // sealer serves it: the box no longer opens, and nothing more is sealed.
  Batch erase = store->begin(1);
  vault->destroy(erase, "mentor:r-1", 1);
  REQUIRE(store->commit(erase));
  vault->forget("mentor:r-1");
  CHECK(!vault->open({7, 12, 4}, pair, made).value().has_value());
  Batch after = store->begin(1);
  auto refused = vault->seal({9, 12, 4}, pair, "more", after);
  REQUIRE(!refused);
  CHECK(refused.status().reason() == "subject_erased");
}
