// The JSON mapping of the commands, and the demonstration programme.
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "app/demo.h"
#include "base/archive.h"
#include "base/build_paths.h"
#include "base/dates.h"
#include "domain/sampling.h"
#include "domain/state.h"
#include "http/json_commands.h"
#include "read/read_models.h"
#include "read/replay.h"
#include "render/views_json.h"
#include "util.h"

using namespace pl;
using json = nlohmann::json;

namespace {

std::string parse_error(std::string_view name, const json& params, const std::string& body_text) {
  auto body = parse_json(body_text);
  if (!body) return body.status().message();
  auto c = parse_command(name, params, *body);
  REQUIRE_FALSE(c.is_ok());
  CHECK(c.status().reason() == "bad_request");
  return c.status().message();
}

const char* kSession = R"({"id":"s1","date":"2021-02-01","minutes":90,"mode":"remote","format":"group",
                           "topics":["strategy"],"summary":"ok"})";

}  // namespace

TEST_CASE("json: a well-formed body becomes its command") {
  auto body = parse_json(kSession);
  REQUIRE(body.is_ok());
  auto c = parse_command("log_session", {{"pair", "p07"}}, *body);
  REQUIRE_MESSAGE(c.is_ok(), c.status().to_string());
  const auto& s = std::get<LogSession>(*c);
  CHECK(s.pair_id == "p07");
  CHECK(s.minutes == 90);
  CHECK(s.format == fb::Format::group);
  CHECK(format_date(s.date) == "2021-02-01");
}

TEST_CASE("json: bad input is refused with a sentence naming the field") {
  json pair = {{"pair", "p07"}};
  CHECK(parse_error("log_session", pair, "{\"id\": ").find("not valid JSON") != std::string::npos);
  // A number beyond a double (found by fuzzing: it used to end the process).
  CHECK(parse_error("log_session", pair, R"({"minutes": 444E6444444444444444})").find("not valid JSON") !=
        std::string::npos);
  CHECK(parse_error("log_session", pair,
                    "{\"id\":\"s\",\"date\":\"2021-02-01\",\"minutes\":\"90\",\"mode\":\"remote\","
                    "\"format\":\"group\",\"topics\":[],\"summary\":\"x\"}") == "minutes must be an integer");
  CHECK(parse_error("log_session", pair,
                    R"({"id":"s","date":"2021-02-01","mode":"remote","format":"group","topics":[],"summary":"x"})") ==
        "missing field 'minutes' in the request body");
  CHECK(
      parse_error(
          "log_session", pair,
          R"({"id":"s","date":"2021-02-01","minutes":9,"mode":"telepathy","format":"group","topics":[],"summary":"x"})") ==
      "mode 'telepathy' is not one of: remote, in_person");
  CHECK(
      parse_error(
          "log_session", pair,
          R"({"id":"s","date":"2021-02-30","minutes":9,"mode":"remote","format":"group","topics":[],"summary":"x"})") ==
      "date '2021-02-30' is not a calendar date (YYYY-MM-DD)");
  CHECK(
      parse_error(
          "log_session", pair,
          R"({"id":"s","date":"2021-02-01","minutes":9,"mode":"remote","format":"group","topics":[],"summary":"x","colour":"red"})") ==
      "unknown field 'colour' in the request body");
  CHECK(parse_error(
            "issue_invoice", pair,
            R"({"id":"i","number":"1","issue_date":"2021-02-01","net_cents":9223372036854775808,"vat_cents":0})") ==
        "net_cents does not fit in a signed 64-bit integer");
  CHECK(parse_error("issue_invoice", pair,
                    R"({"id":"i","number":"1","issue_date":"2021-02-01","net_cents":1e30,"vat_cents":0})") ==
        "net_cents must be an integer that fits in 64 bits");
  CHECK(
      parse_error("submit_application", {{"pid", "x"}},
                  R"({"id":"a","applicant_name":"n","organisation":"o","email":"e@x","country":"FR","profile":"expert",
                        "years_experience":5,"knowledge_areas":[],"quotation_cents":1,"received_at":"2019-03-15T23:59:59"})")
          .find("is not an RFC 3339 instant with an offset") != std::string::npos);
  CHECK(parse_error("log_session", pair, "{\"id\":\"s\xff\"}").find("not valid JSON") != std::string::npos);
  CHECK(parse_error("log_session", pair, "[1,2]") == "the request body must be a JSON object");
  CHECK(parse_error("no_such_command", pair, "{}") == "unknown command 'no_such_command'");
}

TEST_CASE("rules: every field of the schema's Rules table goes through the API, the event and a checkpoint unchanged") {
  // A distinct value in every field, found by the table's reflection only.
  const auto& fields = rule_fields();
  REQUIRE(fields.size() == 14);
  std::vector<RuleValue> values;
  std::int64_t n = 1;
  for (const RuleField& f : fields) {
    RuleValue v;
    if (f.name == "evidence_required")
      v.strings = {"payment:invoice", "completion:report", "session:attendance"};
    else if (f.unit == RuleUnit::strings)
      v.strings = {"FR", "IT", std::string(f.name).substr(0, 2)};
    else if (f.unit == RuleUnit::instant)
      v.number = 1'900'000'000'000'000 + n;  // 2030, to the microsecond
    else if (f.unit == RuleUnit::boolean)
      v.number = 1;  // not the default
    else
      v.number = 100 * n + 7;
    values.push_back(std::move(v));
    ++n;
  }
  Rules rules = rules_from_values(values);
  CHECK(rules.hour_cap_minutes == 107);  // the first field of the schema
  CHECK(rules.max_tours_per_mentee == 1107);

  // JSON out (the programme's rules) and back in (a command's body).
  json out = rules_json(rules);
  CHECK(out.size() == fields.size());
  CHECK(out.contains("application_deadline"));  // an instant: its name less _us
  CHECK_FALSE(out.contains("application_deadline_us"));
  json body = out;
  body["id"] = "x", body["name"] = "X", body["coordinator"] = "C";
  auto cmd = parse_command("open_programme", json::object(), body);
  REQUIRE_MESSAGE(cmd, cmd.status().message());
  CHECK(std::get<OpenProgramme>(*cmd).rules == rules);

  // The event's table and back.
  flatbuffers::FlatBufferBuilder b;
  b.Finish(rules.pack(b));
  CHECK(Rules::from(flatbuffers::GetRoot<fb::Rules>(b.GetBufferPointer())) == rules);

  // A read-model checkpoint's archive and back.
  OutArchive a;
  a.save(rules);
  Rules loaded;
  InArchive in(a.bytes());
  in.get(loaded);
  CHECK(in.ok());
  CHECK(loaded == rules);

  // A missing field is refused, naming it.
  // (An optional rule takes its default unless given.)
  std::string last_required;
  for (const RuleField& f : fields)
    if (!f.optional()) last_required = f.json_name;
  json partial = body;
  partial.erase(last_required);
  auto refused = parse_command("open_programme", json::object(), partial);
  REQUIRE_FALSE(refused);
  CHECK(refused.status().message().find(last_required) != std::string::npos);
  json no_boolean = body;
  std::vector<std::string> optional;
  for (const RuleField& f : fields)
    if (f.optional()) {
      no_boolean.erase(std::string(f.json_name));
      optional.emplace_back(f.name);
    }
  CHECK(optional == std::vector<std::string>{"vat_eligible", "evidence_required", "retention_years"});
  auto defaulted = parse_command("open_programme", json::object(), no_boolean);
  REQUIRE_MESSAGE(defaulted, defaulted.status().message());
  CHECK_FALSE(std::get<OpenProgramme>(*defaulted).rules.vat_eligible);
  CHECK(std::get<OpenProgramme>(*defaulted).rules.evidence_required.empty());
  CHECK(std::get<OpenProgramme>(*defaulted).rules.retention_years == 5);  // the schema's default
  // An amendment keeps a yes-or-no rule it does not give (the decision
  // takes it from the rules in force); one it gives is taken.
  json amend = no_boolean;
  amend.erase("id"), amend.erase("name"), amend.erase("coordinator");
  amend["reason"] = "r";
  auto kept = parse_command("amend_rules", json{{"pid", "x"}}, amend);
  REQUIRE_MESSAGE(kept, kept.status().message());
  CHECK(std::get<AmendRules>(*kept).kept == optional);
  amend["vat_eligible"] = false;
  amend["evidence_required"] = json::array();
  amend["retention_years"] = 10;
  auto given = parse_command("amend_rules", json{{"pid", "x"}}, amend);
  REQUIRE_MESSAGE(given, given.status().message());
  CHECK(std::get<AmendRules>(*given).kept.empty());
}

namespace {
json demo_steps() {
  std::ifstream in(pl::build_paths::demo_file);
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str())["steps"];
}
}  // namespace

TEST_CASE("the demonstration programme loads once, verifies, and its figures reconcile with its steps") {
  test::TempDir dir;
  auto store = std::move(Store::open(dir.path())).value();
  auto r = load_demo(*store, *test::test_vault(*store), pl::build_paths::demo_file);
  REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
  CHECK(r->loaded);
  // Every step records one event, but an upload of a document, which records none.
  std::uint64_t uploads = 0;
  for (const auto& s : demo_steps()) uploads += s["command"] == "upload_evidence";
  CHECK(uploads > 100);
  CHECK(r->head.position == r->steps - uploads);
  auto rep = store->verify();
  CHECK_MESSAGE(rep.ok, rep.detail);

  auto again = load_demo(*store, *test::test_vault(*store), pl::build_paths::demo_file);
  REQUIRE(again.is_ok());
  CHECK_FALSE(again->loaded);
  CHECK(store->head().position == r->head.position);

  // Independent sums over the demo's own steps.
  std::ifstream in(pl::build_paths::demo_file);
  std::stringstream text;
  text << in.rdbuf();
  json doc = json::parse(text.str());
  std::map<std::string, std::string> pair_mentee;
  std::map<std::pair<std::string, std::string>, std::int64_t> session_minutes;
  std::map<std::string, std::int64_t> minutes, net;
  std::map<std::string, std::pair<std::string, std::int64_t>> invoice;  // id -> (mentee, net)
  for (const auto& s : doc["steps"]) {
    const std::string cmd = s["command"];
    const auto& b = s["body"];
    const auto& p = s["params"];
    if (cmd == "assign_pair") pair_mentee[b["id"]] = b["mentee_id"];
    if (cmd == "log_session") {
      std::string m = pair_mentee.at(p["pair"]);
      minutes[m] += b["minutes"].get<std::int64_t>();
      session_minutes[{p["pair"], b["id"]}] = b["minutes"];
    }
    if (cmd == "void_session") minutes[pair_mentee.at(p["pair"])] -= session_minutes.at({p["pair"], p["sid"]});
    if (cmd == "issue_invoice") {
      std::string m = pair_mentee.at(p["pair"]);
      invoice[b["id"]] = {m, b["net_cents"]};
      net[m] += b["net_cents"].get<std::int64_t>();
    }
    if (cmd == "cancel_invoice") net[invoice.at(p["iid"]).first] -= invoice.at(p["iid"]).second;
    if (cmd == "issue_credit_note") net[invoice.at(p["iid"]).first] -= b["amount_cents"].get<std::int64_t>();
  }
  auto state = replay<State>(*store);
  REQUIRE(state.is_ok());
  CHECK(state->mentees().size() == 39);
  CHECK(state->pairs().size() == 40);
  CHECK(state->count(fb::Event::SessionVoided) == 1);
  CHECK(state->count(fb::Event::InvoiceCancelled) == 1);
  CHECK(state->count(fb::Event::CreditNoteIssued) == 1);
  CHECK(state->count(fb::Event::PairTerminated) == 1);
  CHECK(state->count(fb::Event::JointMeetingHeld) == 4);
  for (const auto& entry : state->mentees()) {
    const auto& id = entry.first;
    const auto& m = entry.second;
    CAPTURE(id);
    CHECK(m.minutes_used == minutes[id]);
    CHECK(m.net_invoiced_cents == net[id]);
    CHECK(m.minutes_used <= 32 * 60);
    CHECK(m.net_invoiced_cents <= 310000);
  }
  // The mentee of the terminated pair: its hours count both pairs.
  const auto& p07 = state->pairs().at("tnst-2019-p07");
  CHECK(p07.status == PairStatus::terminated);
  const auto& p07b = state->pairs().at("tnst-2019-p07b");
  CHECK(state->mentees().at(p07.mentee_id).minutes_used == p07.minutes_used + p07b.minutes_used);
  CHECK(state->mentees().at(p07.mentee_id).active_pair == "tnst-2019-p07b");

  // The simulated clock followed the business dates: the first event was
  // recorded when the 2019 programme opened (autumn 2018, before the first
  // tour), a session the day after it took place.
  auto first = store->read_one(1);
  CHECK(format_instant(first->view().recorded_at_us()).substr(0, 10) == "2018-10-01");
  bool checked_session = false;
  REQUIRE(store
              ->scan(1, 0,
                     [&](const EventView& e) {
                       if (!checked_session && e.type() == fb::Event::SessionLogged) {
                         auto day = static_cast<std::int32_t>(e.recorded_at_us() / 86'400'000'000);
                         CHECK(day == e.as<fb::SessionLogged>()->date() + 1);
                         checked_session = true;
                       }
                       return Status::ok();
                     })
              .is_ok());
  CHECK(checked_session);
  // As of the end of 2019 the 2021 edition did not exist yet.
  AsOf end2019;
  end2019.has_time = true;
  end2019.recorded_at_us = parse_instant("2019-12-31T23:59:59Z").value();
  auto then = replay<State>(*store, end2019);
  REQUIRE(then.is_ok());
  CHECK(then->programmes().count("tnst-2019") == 1);
  CHECK(then->programmes().count("reloaded-2021") == 0);
}

namespace {

json demo_document() {
  std::ifstream in(pl::build_paths::demo_file);
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str());
}

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

}  // namespace

TEST_CASE("the demonstration programme tells the facts of the programme's public sources (docs/PROGRAMME.md)") {
  test::TempDir dir;
  auto store = std::move(Store::open(dir.path())).value();
  auto loaded = load_demo(*store, *test::test_vault(*store), pl::build_paths::demo_file);
  REQUIRE_MESSAGE(loaded.is_ok(), loaded.status().to_string());
  auto rm = replay<ReadModels>(*store);
  REQUIRE(rm.is_ok());
  rm->set_vault(test::test_vault(*store));
  const State& s = rm->core();

  SUBCASE("2021: the 13 mentees of the press release, with their countries") {
    std::map<std::pair<std::string, std::string>, int> clusters;  // (name, country) -> mentees
    for (const auto& [id, m] : s.mentees())
      if (m.programme_id == "reloaded-2021") ++clusters[{rm->text(m.cluster_name), m.country}];
    // 6 practitioners from 4 Moroccan clusters (how they split is not said: at least one each).
    const std::vector<std::string> moroccan = {"Maroc Numeric Cluster", "Moroccan Technical Textile Cluster (C2TM)",
                                               "Cluster Electronique, Mécatronique & Mécanique (CE3M)",
                                               "Agrinova Competitiveness Pole"};
    int practitioners = 0;
    for (const auto& name : moroccan) {
      CAPTURE(name);
      CHECK(clusters[{name, "MA"}] >= 1);
      practitioners += clusters[{name, "MA"}];
    }
    CHECK(practitioners == 6);
    // And 7 clusters, one mentee each.
    const std::vector<std::pair<std::string, std::string>> seven = {
        {"Egyptian Renewable Energy Cluster", "EG"}, {"House of Furniture", "PS"},
        {"Hebron Leather and Shoe Cluster", "PS"},   {"Mechatronic Cluster", "TN"},
        {"North-West Olive Oil Cluster", "TN"},      {"Marble Cluster", "TN"},
        {"ICT Association of Jordan – int@j", "JO"}};
    for (const auto& c : seven) {
      CAPTURE(c.first);
      CHECK(clusters[c] == 1);
    }
    // Nothing else: 4 + 7 clusters, 13 mentees, 13 pairs.
    std::size_t mentees = 0;
    for (const auto& [c, n] : clusters)
      if (n > 0) mentees += static_cast<std::size_t>(n);
    CHECK(mentees == 13);
    std::size_t kinds = 0;
    for (const auto& [c, n] : clusters) kinds += n > 0 ? 1 : 0;
    CHECK(kinds == 11);
    CHECK(rm->programmes().at("reloaded-2021").pairs.size() == 13);
    CHECK(rm->text(s.programmes().at("reloaded-2021").coordinator) == "ACCIÓ");
    // The 13 mentors: one pair each.
    std::set<std::string> mentors;
    for (const auto& pid : rm->programmes().at("reloaded-2021").pairs) mentors.insert(s.pairs().at(pid).mentor_id);
    CHECK(mentors.size() == 13);
  }

  SUBCASE("2019: the 26 of Annex I, the Assuit cluster still to be confirmed, European mentors") {
    const ProgrammeState& p = s.programmes().at("tnst-2019");
    CHECK(rm->text(p.coordinator) == "France Clusters");
    CHECK(rm->programmes().at("tnst-2019").mentees.size() == 26);
    CHECK(rm->text(s.mentees().at("assuit-innovation-cluster").cluster_name) ==
          "Assuit innovation cluster (to be confirmed)");
    CHECK(s.mentees().at("stone-marble-cluster").country == "PS");  // Annex I; the 2021 release says TN
    // The EU-28 of March 2019 (the United Kingdom included), the EEA and Switzerland.
    const auto& countries = p.rules.mentor_countries;
    CHECK(countries.size() == 32);
    for (const char* c : {"GB", "NO", "CH", "IS", "LI", "FR", "IT", "ES", "BE", "DE", "HR"}) {
      CAPTURE(c);
      CHECK(std::count(countries.begin(), countries.end(), c) == 1);
    }
    CHECK(p.rules.mentor_country_ok("GB"));
    CHECK_FALSE(p.rules.mentor_country_ok("TR"));
    CHECK(format_instant(p.rules.application_deadline_us) == "2019-03-15T22:59:59Z");  // end of day, CET
    CHECK(p.rules.hour_cap_minutes == 32 * 60);
    CHECK(p.rules.fee_cap_cents == 310000);
    std::set<std::string> mentor_countries;
    for (const auto& [id, m] : s.mentors())
      if (m.programme_id == "tnst-2019") mentor_countries.insert(m.country);
    CHECK(mentor_countries.count("GB") == 1);
    CHECK(mentor_countries.count("CH") == 1);
  }

  SUBCASE("the four tours: their hosts, in their order, Wallonia from 2019-10-28, Région Sud in 2020") {
    std::vector<const TourExtra*> tours;
    for (const auto& id : rm->programmes().at("tnst-2019").tours) tours.push_back(&rm->tours().at(id));
    REQUIRE(tours.size() == 4);
    std::stable_sort(tours.begin(), tours.end(),
                     [](const TourExtra* a, const TourExtra* b) { return a->start_date < b->start_date; });
    const TourExtra& catalonia = *tours[0];
    const TourExtra& piedmont = *tours[1];
    const TourExtra& wallonia = *tours[2];
    const TourExtra& sud = *tours[3];
    CHECK(contains(catalonia.region, "Catalonia"));
    CHECK(contains(piedmont.region, "Piedmont"));
    CHECK(contains(wallonia.region, "Wallonia"));
    CHECK(contains(sud.region, "Région Sud"));
    CHECK(contains(catalonia.host, "ACCIÓ"));
    CHECK(contains(piedmont.host, "assumption"));  // the sources do not name it
    CHECK(contains(wallonia.host, "AWEX"));
    CHECK(contains(wallonia.host, "France Clusters"));
    CHECK(contains(sud.host, "France Clusters"));
    CHECK(contains(sud.host, "risingSUD"));
    for (const TourExtra* t : tours) {
      CAPTURE(t->region);
      CHECK(t->end_date - t->start_date == 4);  // 5 days
    }
    CHECK(format_date(catalonia.start_date).substr(4) == "-11-19");  // "in November"
    CHECK(format_date(catalonia.start_date) < "2019-03-15");         // before the call's deadline
    CHECK(format_date(wallonia.start_date) == "2019-10-28");
    CHECK(format_date(wallonia.end_date) == "2019-11-01");
    CHECK(format_date(sud.start_date).substr(0, 4) == "2020");
    // The tour's own words, not knowledge areas.
    CHECK(wallonia.topics ==
          std::vector<std::string>{"cluster governance", "members engagement", "international network development"});
    // About 12 cluster managers, cluster representatives and network managers from EG, JO, MA, PS and TN.
    CHECK(wallonia.people.size() >= 10);
    CHECK(wallonia.people.size() <= 14);
    std::set<std::string> kinds, countries;
    for (const TourPerson& who : wallonia.people) {
      kinds.insert(who.kind);
      countries.insert(who.country);
    }
    CHECK(kinds == std::set<std::string>{"cluster_manager", "cluster_representative", "network_manager"});
    CHECK(countries == std::set<std::string>{"EG", "JO", "MA", "PS", "TN"});
    // 2 tours of 4 at most for a South-Med cluster manager.
    for (const auto& entry : s.mentees()) {
      CAPTURE(entry.first);
      CHECK(entry.second.tours.size() <= 2);
    }
  }

  SUBCASE("every mentee of both editions has a needs diagnosis before its pair; pairs are matched on it") {
    std::size_t diagnosed = 0;
    for (const auto& entry : s.mentees()) {
      const std::string& id = entry.first;
      const MenteeState& m = entry.second;
      CAPTURE(id);
      CHECK(m.diagnosed);
      CHECK_FALSE(m.needs.empty());
      diagnosed += m.diagnosed ? 1 : 0;
      const NeedsExtra* needs = State::find(rm->needs(), id);
      REQUIRE(needs);
      if (const auto* pairs = State::find(rm->pairs_of_mentee(), id))
        for (const auto& pid : *pairs) CHECK(needs->position < rm->pairs().at(pid).assigned_position);
    }
    CHECK(diagnosed == 39);
    std::map<std::string, int> overrides;
    for (const auto& entry : s.pairs()) {
      const std::string& pid = entry.first;
      const PairState& p = entry.second;
      CAPTURE(pid);
      const PairExtra& x = rm->pairs().at(pid);
      const auto& needs = s.mentees().at(p.mentee_id).needs;
      const auto& offered = s.mentors().at(p.mentor_id).areas;
      REQUIRE_FALSE(x.topics.empty());
      bool matched = true;
      for (const auto& t : x.topics)
        matched = matched && std::count(needs.begin(), needs.end(), t) == 1 &&
                  std::count(offered.begin(), offered.end(), t) == 1;
      CHECK(matched == x.override_reason.empty());
      if (!matched) ++overrides[s.mentees().at(p.mentee_id).programme_id];
    }
    CHECK(overrides == std::map<std::string, int>{{"reloaded-2021", 1}, {"tnst-2019", 1}});
  }

  SUBCASE("VAT: domestic invoices carry it and are paid with it; cross-border ones are reverse-charged") {
    int paid_in_full_with_vat = 0;
    for (const auto& entry : s.invoices()) {
      const InvoiceState& inv = entry.second;
      CAPTURE(entry.first);
      const PairState& pair = s.pairs().at(inv.pair_id);
      const std::string coordinator = rm->text(s.programmes().at(pair.programme_id).coordinator);
      const std::string home = coordinator == "France Clusters" ? "FR" : "ES";
      const std::string& country = s.mentors().at(inv.mentor_id).country;
      if (country != home) CHECK(inv.vat_cents == 0);
      if (country == home) CHECK(inv.vat_cents == inv.net_cents * (home == "FR" ? 20 : 21) / 100);
      if (!inv.cancelled && inv.vat_cents > 0 && inv.due_cents() == 0 && inv.vat_due_cents() == 0 &&
          inv.vat_paid_cents == inv.vat_cents)
        ++paid_in_full_with_vat;
      // A credit note credits the VAT in proportion.
      if (inv.credited_cents > 0) CHECK(inv.vat_credited_cents * inv.net_cents == inv.vat_cents * inv.credited_cents);
    }
    CHECK(paid_in_full_with_vat >= 1);
    for (const char* pid : {"tnst-2019", "reloaded-2021"}) CHECK_FALSE(s.programmes().at(pid).rules.vat_eligible);
  }

  SUBCASE("the file says where the sources disagree and what it assumes") {
    json doc = demo_document();
    for (const char* key : {"about", "notes", "assumptions", "fictional", "steps"}) CHECK(doc.contains(key));
    std::string notes = doc["notes"].dump(), assumptions = doc["assumptions"].dump();
    for (const char* said : {"24", "26", "Marble", "ECEI", "ERECI", "European"}) {
      CAPTURE(said);
      CHECK(contains(notes, said));
    }
    for (const char* said : {"2021", "Co-funding", "vat_eligible", "Piedmont", "Catalonia", "Tour dates"}) {
      CAPTURE(said);
      CHECK(contains(assumptions, said));
    }
    CHECK(contains(doc["fictional"].dump(), "split of the 6 Moroccan practitioners"));
  }
}

TEST_CASE("the demonstration's control round: evidence, a sample drawn again, verifications, a finding corrected") {
  test::TempDir dir;
  auto store = std::move(Store::open(dir.path())).value();
  auto loaded = load_demo(*store, *test::test_vault(*store), pl::build_paths::demo_file);
  REQUIRE_MESSAGE(loaded.is_ok(), loaded.status().to_string());
  auto rm = replay<ReadModels>(*store).value();
  rm.set_vault(test::test_vault(*store));

  // Every document attached is stored, and its bytes hash to its name.
  std::size_t documents = 0;
  for (const auto& [sha, links] : rm.evidence()) {
    Hash h{};
    REQUIRE(from_hex(sha, &h));
    auto bytes = store->read_evidence(h);
    REQUIRE_MESSAGE(bytes.is_ok(), bytes.status().to_string());
    CHECK(to_hex(sha256(*bytes)) == sha);
    CHECK(links.at(0).size == static_cast<std::int64_t>(bytes->size()));
    ++documents;
  }
  CHECK(documents > 150);

  // The gaps are the documents the demo leaves out: one invoice, two proofs of payment, one report.
  auto gaps = evidence_gaps(rm, "tnst-2019");
  REQUIRE(gaps.size() == 1);
  CHECK(gaps[0].kind == "proof_of_payment");
  auto gaps21 = evidence_gaps(rm, "reloaded-2021");
  std::map<std::string, int> kinds;
  for (auto& g : gaps21) ++kinds[g.kind];
  CHECK(kinds["proof_of_payment"] == 1);
  CHECK(kinds["report"] == 1);
  CHECK(kinds["invoice"] <= 1);  // the invoice without its document may be unpaid

  // The sample: drawn again from the events before it, the same selection.
  const ProgrammeIndex* idx = State::find(rm.programmes(), "tnst-2019");
  REQUIRE(idx->samples.size() == 1);
  const SampleRow& sample = idx->samples[0];
  CHECK(sample.method == "monetary_unit");
  CHECK(sample.units.size() >= 1);
  auto drawn = store->read_one(sample.recorded.position).value();
  auto before = replay<State>(*store, AsOf{sample.recorded.position - 1}).value();
  SampleRedraw again = redraw_sample(before, drawn.view());
  CHECK_MESSAGE(again.matches, again.mismatch);
  CHECK(again.request_position > 0);  // requested, then drawn from the next event's hash
  CHECK(again.seed_position == again.request_position + 1);
  CHECK(rm.text(sample.recorded.by) == "demo-controller");

  // Every paid invoice of 2019 verified by the controller; one deduction; the
  // finding's correction taken off what was certified.
  Budget b = budget(rm, "tnst-2019", true);
  CHECK(b.totals.deducted == 15000);
  CHECK(b.totals.corrected == 20000);
  CHECK(b.totals.certified == b.totals.verified - 15000 - 20000);
  CHECK(b.certified_eu_share_cents == eu_share(b.totals.certified, 9000));
  std::int64_t explained = 0;
  for (auto& e : b.explain.certified) explained += e.cents;
  CHECK(explained == b.totals.certified);
  REQUIRE(idx->findings.size() == 1);
  const FindingRow* f = State::find(rm.findings(), idx->findings[0]);
  REQUIRE(f);
  CHECK(f->source == "audit_authority");
  REQUIRE(f->corrections.size() == 1);
  CHECK(rm.text(f->corrections[0].recorded.by) == "demo-finance");
  // The finding's positions are the events of its invoice.
  for (auto pos : f->positions) {
    auto ev = store->read_one(pos).value();
    CHECK(ev.view().stream() == "invoice-" + f->invoice_id);
  }
  // Retention: 31 December of the last payment's year plus five years.
  Retention ret = retention(rm, "tnst-2019");
  CHECK(ret.years == 5);
  CHECK(format_date(ret.retain_until) ==
        std::to_string(std::stoi(format_date(ret.last_payment_date).substr(0, 4)) + 5) + "-12-31");
  // The 2021 edition has evidence but no control round yet.
  CHECK(budget(rm, "reloaded-2021", false).totals.verified == 0);
}
