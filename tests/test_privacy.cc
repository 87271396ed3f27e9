// Personal data (docs/PRIVACY.md): no personal field of the demonstration is
// in any file of the data directory in clear, and the API shows them opened.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "base/build_paths.h"
#include "server_process.h"
#include "util.h"

using nlohmann::json;
using namespace pl::test;

namespace {

// The fields of the demonstration's commands that are personal data, by
// command (docs/PRIVACY.md, "What is sealed, for whom").
const std::map<std::string, std::set<std::string>> kPersonal = {
    {"open_programme", {"coordinator"}},
    {"enrol_mentee", {"name", "cluster_name", "website"}},
    {"diagnose_needs", {"note"}},
    {"submit_application", {"applicant_name", "organisation", "email"}},
    {"reject_application", {"reason"}},
    {"assign_pair", {"override_reason"}},
    {"log_session", {"summary"}},
    {"void_session", {"reason"}},
    {"submit_report", {"progress", "outcomes"}},
    {"terminate_pair", {"reason"}},
    {"cancel_invoice", {"reason"}},
    {"issue_credit_note", {"reason"}},
    {"verify_expenditure", {"note"}},
    {"record_finding", {"description"}},
    {"apply_correction", {"reason"}},
    {"request_sample", {"reason"}},
    {"register_tour_participant", {"name", "organisation"}},
};

// The demonstration's strings, personal (`personal`: each at least 8 bytes,
// shorter ones could be in any file by chance) and not (`other`).
void strings_of(const json& j, const std::set<std::string>* fields, const std::string& key,
                std::set<std::string>& personal, std::set<std::string>& other) {
  if (j.is_object()) {
    for (auto& [k, v] : j.items()) strings_of(v, fields, k, personal, other);
  } else if (j.is_array()) {
    for (auto& v : j) strings_of(v, fields, key, personal, other);
  } else if (j.is_string()) {
    const std::string& v = j.get_ref<const std::string&>();
    if (fields && fields->contains(key))
      (v.size() >= 8 ? personal : other).insert(v);
    else
      other.insert(v);
  }
}

std::string file_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST_CASE("no file of the data directory holds a personal field of the demonstration in clear") {
  json demo = json::parse(file_bytes(pl::build_paths::demo_file));
  std::set<std::string> personal, other;
  for (const json& step : demo["steps"]) {
    auto it = kPersonal.find(step.value("command", ""));
    strings_of(step, it == kPersonal.end() ? nullptr : &it->second, "", personal, other);
  }
  // A personal text that is also part of a text that is not (an organisation
  // named in a tour's organiser) cannot be told apart in the bytes.
  std::erase_if(personal, [&](const std::string& p) {
    return std::any_of(other.begin(), other.end(),
                       [&](const std::string& o) { return o.find(p) != std::string::npos; });
  });
  REQUIRE(personal.size() > 100);
  MESSAGE(personal.size() << " personal strings of the demonstration looked for");

  TempDir dir;
  std::string data = dir.sub("data");
  std::string out;
  REQUIRE(run_ledger({"demo", "--data", data}, &out, true) == 0);

  // Every file, whatever it is: table files, write-ahead log, MANIFEST, the
  // mark, checkpoints, keys, tokens.
  std::size_t files = 0, bytes = 0;
  for (auto& f : std::filesystem::recursive_directory_iterator(data)) {
    if (!f.is_regular_file()) continue;
    std::string b = file_bytes(f.path());
    ++files;
    bytes += b.size();
    for (const auto& s : personal)
      CHECK_MESSAGE(b.find(s) == std::string::npos, f.path().string() << " holds \"" << s << "\"");
  }
  MESSAGE(files << " files, " << bytes << " bytes scanned");
  CHECK(files > 5);

  // The ledger still has them: the export opens them with the master key.
  REQUIRE(run_ledger({"export", "--data", data, "--format", "ndjson"}, &out) == 0);
  std::size_t shown = 0;
  for (const auto& s : personal)
    shown += out.find(json(s).dump().substr(1, json(s).dump().size() - 2)) != std::string::npos;
  CHECK(shown == personal.size());
}
