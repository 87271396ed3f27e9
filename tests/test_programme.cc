// The programme's rules at their edges: each refusal carries the code of
// API.md, and leaves the head where it was.
#include <doctest/doctest.h>

#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "base/dates.h"
#include "domain/commands.h"
#include "domain/decide.h"
#include "domain/sampling.h"
#include "domain/subjects.h"
#include "programme_spec.h"
#include "read/read_models.h"
#include "read/replay.h"
#include "server_process.h"
#include "util.h"
#include "writer/writer.h"

using namespace pl;

namespace {

std::int32_t D(const char* s) { return parse_date(s).value(); }
std::int64_t T(const char* s) { return parse_instant(s).value(); }

Rules rules_2019() { return test::programme_rules(test::booster_track_2019()); }

struct Fixture {
  test::TempDir dir;
  std::unique_ptr<Store> store;
  std::unique_ptr<Vault> vault;
  std::unique_ptr<Writer> w;
  std::atomic<std::int64_t> now{T("2019-02-01T09:00:00Z")};

  Fixture() {
    auto s = Store::open(dir.sub("ledger"));
    REQUIRE(s.is_ok());
    store = std::move(s).value();
    vault = test::open_vault(dir.path(), *store);
    WriterOptions o;
    o.vault = vault.get();
    o.clock = [this] { return now.load(); };
    auto wr = Writer::start(*store, o);
    REQUIRE(wr.is_ok());
    w = std::move(wr).value();
  }

  // A session is recorded the day after it took place (the clock moves on
  // to then if it is earlier): a later date is refused (future_date).
  Result<CommandOutcome> run(AnyCommand c, Actor who = {"tester", "coordinator"}) {
    if (auto* s = std::get_if<LogSession>(&c)) {
      std::int64_t next_day = (static_cast<std::int64_t>(s->date) + 1) * 86'400'000'000LL + 9 * 3'600'000'000LL;
      if (now.load() < next_day) now = next_day;
    }
    return w->execute(make_command(std::move(c), std::move(who)));
  }
  void ok(AnyCommand c, Actor who = {"tester", "coordinator"}) {
    auto r = run(std::move(c), std::move(who));
    REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
  }
  // Refused with `code`, and nothing written.
  std::string refused(AnyCommand c, const std::string& code, Actor who = {"tester", "coordinator"}) {
    auto before = store->head();
    auto r = run(std::move(c), std::move(who));
    CHECK_FALSE(r.is_ok());
    CHECK_MESSAGE(r.status().reason() == code, r.status().to_string());
    CHECK(store->head().position == before.position);
    CHECK(store->head().hash == before.hash);
    return r.status().message();
  }

  // A programme, two mentees, one accepted mentor (quotation 3,100.00).
  void setup(const Rules& r = rules_2019()) {
    ok(OpenProgramme{"tns", "Cluster Booster Track", "France Clusters", r});
    ok(EnrolMentee{"tns", "intaj", "Fictional Manager", "Intaj Cluster", "ICT", "TN", "https://example.org"});
    ok(EnrolMentee{"tns", "dz-digital", "Fictional Manager 2", "Algeria Digital Cluster", "ICT", "DZ", ""});
    ok(SubmitApplication{"tns",
                         "a1",
                         "Fictional Mentor",
                         "Cluster FR",
                         "m@example.org",
                         "FR",
                         fb::Profile::cluster_manager,
                         3,
                         {"strategy"},
                         310000,
                         T("2019-02-01T08:00:00Z")});
    ok(AcceptApplication{"a1", "mentor-fr"});
  }
  void pair(const std::string& id, const std::string& mentee, std::int64_t fee = 310000,
            const char* start = "2019-04-01", const char* end = "2019-12-01") {
    ok(AssignPair{"tns", id, "mentor-fr", mentee, D(start), D(end), fee, {"strategy"}});
  }
  LogSession session(const std::string& pair, const std::string& id, std::int64_t minutes,
                     const char* date = "2019-05-01") {
    return LogSession{pair, id, D(date), minutes, fb::Mode::remote, fb::Format::bilateral, {"strategy"}, "Worked."};
  }
};

}  // namespace

TEST_CASE("hours: exactly the cap is accepted, one minute more is refused, across pairs, voids excluded") {
  Fixture f;
  f.setup();
  f.pair("p1", "intaj");
  f.ok(f.session("p1", "s1", 20 * 60));
  f.ok(f.session("p1", "s-void", 60));
  f.ok(VoidSession{"p1", "s-void", "logged on the wrong pair"});
  f.ok(TerminatePair{"p1", "mentor changed jobs"});
  // A second pair of the same mentee: the cap follows the mentee.
  f.pair("p2", "intaj", 100000);
  f.ok(f.session("p2", "s2", 11 * 60 + 30));
  auto msg = f.refused(f.session("p2", "s3", 31), "hour_cap_exceeded");
  CHECK(msg == "mentee intaj: 31h30 used of 32h00, 0h31 asked, 0h30 left");
  f.ok(f.session("p2", "s4", 30));  // exactly 32h00
  CHECK(f.w->execute(make_command(f.session("p2", "s5", 1), {"t", "coordinator"})).status().reason() ==
        "hour_cap_exceeded");
  // Voiding gives the time back.
  f.ok(VoidSession{"p2", "s4", "duplicate"});
  f.ok(f.session("p2", "s6", 30));
}

TEST_CASE("sessions: inside the period, positive minutes, only on an active pair, unique ids") {
  Fixture f;
  f.setup();
  f.pair("p1", "intaj", 310000, "2019-04-01", "2019-10-01");
  f.ok(f.session("p1", "first-day", 60, "2019-04-01"));
  f.ok(f.session("p1", "last-day", 60, "2019-10-01"));
  f.refused(f.session("p1", "before", 60, "2019-03-31"), "outside_pair_period");
  f.refused(f.session("p1", "after", 60, "2019-10-02"), "outside_pair_period");
  f.refused(f.session("p1", "zero", 0), "bad_request");
  f.refused(f.session("p1", "negative", -30), "bad_request");
  f.refused(f.session("p1", "first-day", 60), "conflict");
  f.refused(f.session("nope", "x", 60), "not_found");
  f.ok(TerminatePair{"p1", "ended early"});
  f.refused(f.session("p1", "late", 60), "pair_not_active");
}

TEST_CASE(
    "fee: exactly the cap net is accepted, one cent more refused; cancellations and credit notes give room back") {
  Fixture f;
  f.setup();
  f.pair("p1", "intaj", 310000);
  f.ok(IssueInvoice{"p1", "i1", "2019-001", D("2019-06-01"), 200000, 40000});
  f.ok(IssueInvoice{"p1", "i2", "2019-002", D("2019-09-01"), 110000, 22000});  // 3,100.00 exactly
  auto msg = f.refused(IssueInvoice{"p1", "i3", "2019-003", D("2019-10-01"), 1, 0}, "fee_cap_exceeded");
  CHECK(msg == "mentee intaj: EUR 3,100.00 invoiced net of EUR 3,100.00, EUR 0.01 asked, EUR 0.00 left");
  f.ok(IssueCreditNote{"i2", "cn1", 5000, "one session not held"});
  f.refused(IssueInvoice{"p1", "i3", "2019-003", D("2019-10-01"), 5001, 0}, "fee_cap_exceeded");
  f.ok(IssueInvoice{"p1", "i3", "2019-003", D("2019-10-01"), 5000, 0});
  f.ok(CancelInvoice{"i3", "wrong amount"});
  f.ok(IssueInvoice{"p1", "i4", "2019-004", D("2019-10-02"), 5000, 0});
  // Numbers are unique per mentor, cancelled ones included.
  f.refused(IssueInvoice{"p1", "i5", "2019-003", D("2019-10-03"), 1, 0}, "conflict");
}

TEST_CASE("fee: an invoice may not pass the pair's agreed fee; the agreed fee not the quotation nor the cap") {
  Fixture f;
  f.setup();
  f.ok(SubmitApplication{"tns",
                         "a2",
                         "Fictional Expert",
                         "Consultancy",
                         "e@example.org",
                         "IT",
                         fb::Profile::expert,
                         9,
                         {"governance"},
                         250000,
                         T("2019-02-01T08:00:00Z")});
  f.ok(AcceptApplication{"a2", "mentor-it"});
  f.refused(AssignPair{"tns", "p1", "mentor-it", "intaj", D("2019-04-01"), D("2019-12-01"), 250001, {}},
            "quotation_exceeded");
  f.refused(AssignPair{"tns", "p1", "mentor-fr", "intaj", D("2019-04-01"), D("2019-12-01"), 310001, {}},
            "fee_cap_exceeded");
  f.ok(AssignPair{"tns", "p1", "mentor-it", "intaj", D("2019-04-01"), D("2019-12-01"), 200000, {}});
  f.ok(IssueInvoice{"p1", "i1", "IT-1", D("2019-06-01"), 150000, 0});
  auto msg = f.refused(IssueInvoice{"p1", "i2", "IT-2", D("2019-07-01"), 50001, 0}, "quotation_exceeded");
  CHECK(msg == "pair p1: EUR 1,500.00 invoiced net of the agreed EUR 2,000.00, EUR 500.01 asked, EUR 500.00 left");
  f.ok(IssueInvoice{"p1", "i2", "IT-2", D("2019-07-01"), 50000, 0});
}

TEST_CASE("deadline: the last second counts, the next and a UTC instant past midnight CET do not") {
  Fixture f;
  f.setup();
  f.now = T("2019-04-01T00:00:00Z");
  auto app = [](const std::string& id, const char* at) {
    return SubmitApplication{"tns", id, "Fictional", "Org", "x@example.org", "FR", fb::Profile::cluster_manager,
                             1,     {}, 100000,      T(at)};
  };
  f.ok(app("on-time", "2019-03-15T23:59:59+01:00"));
  auto msg = f.refused(app("late", "2019-03-16T00:00:00+01:00"), "deadline_passed");
  CHECK(msg == "the application was received at 2019-03-15T23:00:00Z, after the deadline 2019-03-15T22:59:59Z");
  f.refused(app("late-utc", "2019-03-15T23:30:00Z"), "deadline_passed");
  // received_at is never in the future of the server's clock.
  f.refused(app("future", "2019-05-01T00:00:00Z"), "bad_request");
}

TEST_CASE("period: calendar months, at both bounds, and a change of period obeys them") {
  Fixture f;
  f.setup();
  auto assign = [](const std::string& id, const std::string& mentee, const char* end) {
    return AssignPair{"tns", id, "mentor-fr", mentee, D("2021-01-20"), D(end), 100000, {}};
  };
  f.refused(assign("p1", "intaj", "2021-07-19"), "period_out_of_bounds");
  f.refused(assign("p1", "intaj", "2022-01-21"), "period_out_of_bounds");
  f.ok(assign("p1", "intaj", "2021-07-20"));
  f.ok(assign("p2", "dz-digital", "2022-01-20"));
  f.refused(ChangePairPeriod{"p1", D("2022-01-21"), "longer"}, "period_out_of_bounds");
  f.refused(ChangePairPeriod{"p1", D("2021-07-19"), "shorter"}, "period_out_of_bounds");
  f.ok(ChangePairPeriod{"p1", D("2022-01-20"), "summer break"});
  f.ok(f.session("p1", "late-session", 60, "2021-12-01"));
  // Shortening may not leave a session outside.
  f.refused(ChangePairPeriod{"p1", D("2021-11-30"), "shorter"}, "outside_pair_period");
}

TEST_CASE("eligibility: experts need the minimum years, countries follow the programme's lists") {
  Fixture f;
  f.setup();
  auto app = [](const std::string& id, fb::Profile profile, int years, const std::string& country) {
    return SubmitApplication{"tns",   id,    "Fictional", "Org",  "x@example.org",          country,
                             profile, years, {},          100000, T("2019-02-01T08:00:00Z")};
  };
  f.refused(app("e4", fb::Profile::expert, 4, "FR"), "not_eligible");
  f.ok(app("e5", fb::Profile::expert, 5, "FR"));
  f.ok(app("cm0", fb::Profile::cluster_manager, 0, "FR"));
  f.refused(app("ps", fb::Profile::cluster_manager, 10, "PS"), "not_eligible");
  f.refused(EnrolMentee{"tns", "fr-mentee", "Fictional", "French Cluster", "ICT", "FR", ""}, "not_eligible");
  f.refused(SubmitApplication{"tns",
                              "q",
                              "F",
                              "O",
                              "x@example.org",
                              "FR",
                              fb::Profile::cluster_manager,
                              1,
                              {},
                              310001,
                              T("2019-02-01T08:00:00Z")},
            "fee_cap_exceeded");

  // 2021: any mentor country.
  Rules r2021 = rules_2019();
  r2021.mentor_countries.clear();
  r2021.application_deadline_us = T("2021-01-15T23:59:59+01:00");
  f.now = T("2021-01-10T00:00:00Z");
  f.ok(OpenProgramme{"reloaded", "Cluster Mentoring Reloaded", "ACCIÓ", r2021});
  f.ok(SubmitApplication{"reloaded",
                         "ps-2021",
                         "Fictional",
                         "Org",
                         "x@example.org",
                         "PS",
                         fb::Profile::cluster_manager,
                         10,
                         {},
                         100000,
                         std::nullopt});
}

TEST_CASE("pairs: one active pair per mentee, several per mentor") {
  Fixture f;
  f.setup();
  f.pair("p1", "intaj");
  f.refused(AssignPair{"tns", "p2", "mentor-fr", "intaj", D("2019-04-01"), D("2019-12-01"), 100000, {}},
            "mentee_already_paired");
  f.pair("p3", "dz-digital");  // the same mentor, another mentee
  f.ok(TerminatePair{"p1", "mentee left"});
  f.pair("p4", "intaj", 100000);
}

TEST_CASE("reports: only in English, and a pair completes only with one") {
  Fixture f;
  f.setup();
  f.pair("p1", "intaj");
  f.refused(CompletePair{"p1"}, "report_missing");
  f.refused(SubmitReport{"p1", "fr", {"strategy"}, "Progrès", "Résultats"}, "report_language");
  f.ok(SubmitReport{"p1", "en", {"strategy"}, "Progress made.", "Outcomes reached."});
  f.ok(CompletePair{"p1"});
  f.refused(CompletePair{"p1"}, "pair_not_active");
  f.refused(f.session("p1", "after", 60), "pair_not_active");
}

TEST_CASE("tours: at most the programme's number per mentee") {
  Fixture f;
  f.setup();
  for (const char* t : {"catalonia", "piedmont", "wallonia"})
    f.ok(ScheduleTour{"tns", t, t, "Host", D("2019-10-01"), D("2019-10-05"), {}});
  f.ok(RegisterTourParticipant{"catalonia", "intaj"});
  f.refused(RegisterTourParticipant{"catalonia", "intaj"}, "conflict");
  f.ok(RegisterTourParticipant{"piedmont", "intaj"});
  auto msg = f.refused(RegisterTourParticipant{"wallonia", "intaj"}, "tour_limit_exceeded");
  CHECK(msg == "mentee intaj is registered for 2 tours, the most allowed is 2");
  f.ok(CancelTourParticipant{"piedmont", "intaj", "visa delayed"});
  f.ok(RegisterTourParticipant{"wallonia", "intaj"});
}

TEST_CASE("payments: never more than what is still due") {
  Fixture f;
  f.setup();
  f.pair("p1", "intaj");
  f.ok(IssueInvoice{"p1", "i1", "1", D("2019-06-01"), 100000, 20000});
  f.ok(PayInvoice{"i1", D("2019-06-15"), 60000});
  auto msg = f.refused(PayInvoice{"i1", D("2019-06-20"), 40001}, "overpayment");
  CHECK(msg ==
        "invoice i1: EUR 400.00 still due VAT excluded (net EUR 1,000.00, credited EUR 0.00, paid EUR 600.00), EUR "
        "400.01 offered");
  f.ok(IssueCreditNote{"i1", "cn1", 10000, "one session not held"});
  f.refused(PayInvoice{"i1", D("2019-06-20"), 30001}, "overpayment");
  f.ok(PayInvoice{"i1", D("2019-06-20"), 30000});
  f.refused(PayInvoice{"i1", D("2019-06-21"), 1}, "overpayment");
  f.refused(CancelInvoice{"i1", "paid already"}, "invoice_paid");
}

TEST_CASE("VAT: each part of an invoice is paid and credited up to what is due of it; reverse charge works") {
  Fixture f;
  f.setup();
  f.pair("p1", "intaj");
  f.ok(IssueInvoice{"p1", "i1", "1", D("2019-06-01"), 100000, 20000});
  // Both parts at once, then VAT alone: each checked against its own due.
  f.ok(PayInvoice{"i1", D("2019-06-15"), 50000, 10000});
  auto msg = f.refused(PayInvoice{"i1", D("2019-06-16"), 0, 10001}, "overpayment");
  CHECK(msg ==
        "invoice i1: EUR 100.00 of VAT still due (VAT EUR 200.00, credited EUR 0.00, paid EUR 100.00), "
        "EUR 100.01 offered");
  f.refused(PayInvoice{"i1", D("2019-06-16"), 50001, 0}, "overpayment");
  f.refused(PayInvoice{"i1", D("2019-06-16"), 0, 0}, "bad_request");
  f.refused(PayInvoice{"i1", D("2019-06-16"), 100, -1}, "bad_request");
  f.ok(IssueCreditNote{"i1", "cn1", 10000, "one session not held", 2000});
  f.refused(IssueCreditNote{"i1", "cn2", 0, "VAT again", 8001}, "credit_exceeds_invoice");
  f.ok(PayInvoice{"i1", D("2019-06-20"), 40000, 8000});  // exactly what is left of both
  f.refused(PayInvoice{"i1", D("2019-06-21"), 0, 1}, "overpayment");
  f.refused(PayInvoice{"i1", D("2019-06-21"), 1, 0}, "overpayment");

  // A cross-border invoice under reverse charge: no VAT, the net is paid.
  f.ok(IssueInvoice{"p1", "i2", "2", D("2019-07-01"), 50000, 0});
  f.refused(PayInvoice{"i2", D("2019-07-15"), 50000, 1}, "overpayment");
  f.ok(PayInvoice{"i2", D("2019-07-15"), 50000});

  // VAT paid alone still makes the invoice paid: it is corrected by a credit
  // note, not cancelled.
  f.ok(IssueInvoice{"p1", "i3", "3", D("2019-08-01"), 10000, 2000});
  f.ok(PayInvoice{"i3", D("2019-08-15"), 0, 2000});
  f.refused(CancelInvoice{"i3", "issued in error"}, "invoice_paid");

  auto rm = replay<ReadModels>(*f.store);
  REQUIRE(rm.is_ok());
  const InvoiceState& i1 = rm->core().invoices().at("i1");
  CHECK(i1.vat_paid_cents == 18000);
  CHECK(i1.vat_credited_cents == 2000);
  CHECK(i1.vat_due_cents() == 0);
  CHECK(i1.due_cents() == 0);
}

TEST_CASE("VAT in the budget: the EU share is on the net alone unless the rules make VAT eligible") {
  Fixture f;
  f.setup();
  f.pair("p1", "intaj");
  f.ok(IssueInvoice{"p1", "i1", "1", D("2019-06-01"), 100001, 20000});
  f.ok(IssueInvoice{"p1", "i2", "2", D("2019-06-02"), 1000, 200});
  f.ok(IssueCreditNote{"i1", "cn1", 1, "rounding", 0});
  f.ok(PayInvoice{"i1", D("2019-06-15"), 100000, 20000});
  f.ok(CancelInvoice{"i2", "issued twice"});
  auto b = budget(replay<ReadModels>(*f.store).value(), "tns", true);
  CHECK_FALSE(b.vat_eligible);
  CHECK(b.totals.net() == 100000);
  CHECK(b.totals.vat_invoiced == 20000);  // i2's VAT went with its cancellation
  CHECK(b.totals.vat_paid == 20000);
  CHECK(b.totals.eligible(false) == 100000);
  CHECK(b.eu_share_cents == 90000);
  std::int64_t vat_sum = 0;
  for (auto& e : b.explain.vat_invoiced) vat_sum += e.cents;
  CHECK(vat_sum == b.totals.vat_invoiced);
  CHECK(b.explain.vat_invoiced.back().type == fb::Event::InvoiceCancelled);

  Rules vat = rules_2019();
  vat.vat_eligible = true;
  f.ok(AmendRules{"tns", vat, "VAT is not recoverable by the beneficiary"});
  // An amendment that does not give the yes-or-no rule keeps the one in force.
  Rules silent = rules_2019();
  silent.expert_min_years = 6;
  f.ok(AmendRules{"tns", silent, "experts need six years", {"vat_eligible"}});
  b = budget(replay<ReadModels>(*f.store).value(), "tns", false);
  CHECK(b.vat_eligible);
  CHECK(b.totals.eligible(true) == 120000);
  CHECK(b.eu_share_cents == 108000);
  CHECK(b.own_share_cents == 12000);
  CHECK(b.totals.net() == 100000);  // net keeps meaning VAT excluded
}

TEST_CASE("reports: a report with no topic is refused") {
  Fixture f;
  f.setup();
  f.pair("p1", "intaj");
  f.refused(SubmitReport{"p1", "en", {}, "Progress made.", "Outcomes reached."}, "report_incomplete");
  f.ok(SubmitReport{"p1", "en", {"strategy"}, "Progress made.", "Outcomes reached."});
}

TEST_CASE("sessions: dated at most one day after the recording day (UTC)") {
  Fixture f;
  f.setup();
  f.pair("p1", "intaj");
  f.now = T("2019-05-01T23:59:59Z");
  auto direct = [&](const char* date) {
    return f.w->execute(make_command(f.session("p1", date, 60, date), {"t", "coordinator"}));
  };
  auto before = f.store->head();
  auto late = direct("2019-05-03");
  CHECK(late.status().reason() == "future_date");
  CHECK(late.status().message() ==
        "the session date 2019-05-03 is more than one day after today (2019-05-01, UTC): a session is logged once it "
        "has taken place");
  CHECK(f.store->head().position == before.position);
  CHECK(direct("2019-05-02").is_ok());  // the day of grace
  CHECK(direct("2019-05-01").is_ok());
}

TEST_CASE("needs: with a diagnosis, a pair's topics lie in the mentor's offer and the mentee's needs, or say why") {
  Fixture f;
  f.setup();  // mentor-fr offers strategy
  f.refused(DiagnoseNeeds{"intaj", {}, ""}, "bad_request");
  f.refused(DiagnoseNeeds{"intaj", {"astrology"}, ""}, "unknown_knowledge_area");
  f.refused(DiagnoseNeeds{"nobody", {"strategy"}, ""}, "not_found");
  f.ok(DiagnoseNeeds{"intaj", {"governance"}, "first workshop"});
  auto assign = [&](std::vector<std::string> topics, std::string why = {}) {
    AssignPair a{"tns", "p1", "mentor-fr", "intaj", D("2019-04-01"), D("2019-12-01"), 310000, std::move(topics)};
    a.override_reason = std::move(why);
    return a;
  };
  auto msg = f.refused(assign({"governance"}), "topics_not_matched");
  CHECK(msg.find("'governance' (not offered by the mentor)") != std::string::npos);
  f.refused(assign({"strategy"}), "topics_not_matched");  // offered, not needed
  f.refused(assign({}), "topics_not_matched");
  // A later diagnosis replaces the first.
  f.ok(DiagnoseNeeds{"intaj", {"strategy", "governance"}, "second workshop"});
  f.refused(assign({"strategy", "governance"}), "topics_not_matched");
  f.ok(assign({"strategy"}));
  // A mentee without a diagnosis is paired as before, on any topic of the programme.
  f.ok(AssignPair{"tns", "p2", "mentor-fr", "dz-digital", D("2019-04-01"), D("2019-12-01"), 100000, {"governance"}});
  f.refused(DiagnoseNeeds{"dz-digital", {"governance", "governance"}, ""}, "bad_request");
  auto rm = replay<ReadModels>(*f.store).value();
  CHECK(rm.pairs().at("p1").override_reason.empty());
  CHECK(rm.core().mentees().at("intaj").needs == std::vector<std::string>{"strategy", "governance"});
  CHECK(f.vault->text(rm.needs().at("intaj").note) == "second workshop");
}

TEST_CASE("needs: an override reason is recorded; mentor suggestions rank by needs offered, load and country") {
  Fixture f;
  f.setup();  // mentor-fr (FR) offers strategy
  f.ok(SubmitApplication{"tns",
                         "a2",
                         "Second Mentor",
                         "Cluster IT",
                         "it@example.org",
                         "IT",
                         fb::Profile::cluster_manager,
                         9,
                         {"strategy", "governance"},
                         300000,
                         T("2019-02-01T08:30:00Z")});
  f.ok(AcceptApplication{"a2", "mentor-it"});
  f.ok(DiagnoseNeeds{"intaj", {"strategy", "governance"}, ""});
  auto rm = replay<ReadModels>(*f.store).value();
  auto s = mentor_suggestions(rm, rm.core().mentees().at("intaj"));
  REQUIRE(s.size() == 2);
  CHECK(s[0].mentor->id == "mentor-it");  // two needs offered
  CHECK(s[0].score == 2 * kNeedPoints + kOtherCountryPoints);
  CHECK(s[0].parts.at(0).why == "offers 2 of the mentee's 2 needs: strategy, governance");
  CHECK(s[1].mentor->id == "mentor-fr");
  // Load: two active pairs cost mentor-it 8 of its lead of 10.
  AssignPair a{"tns", "p1", "mentor-it", "dz-digital", D("2019-04-01"), D("2019-12-01"), 100000, {"strategy"}};
  f.ok(a);
  f.ok(EnrolMentee{"tns", "m3", "Third Manager", "Third Cluster", "ICT", "TN", ""});
  AssignPair b{"tns", "p2", "mentor-it", "m3", D("2019-04-01"), D("2019-12-01"), 100000, {"governance"}};
  f.ok(b);
  rm = replay<ReadModels>(*f.store).value();
  s = mentor_suggestions(rm, rm.core().mentees().at("intaj"));
  CHECK(s[0].mentor->id == "mentor-it");  // 20 - 8 + 1 = 13 against 10 + 1 = 11
  CHECK(s[0].active_pairs == 2);
  CHECK(s[0].score == 2 * kNeedPoints + 2 * kLoadPoints + kOtherCountryPoints);
  CHECK(s[0].parts.at(1).why == "2 active pairs");
  CHECK(s[1].score == kNeedPoints + kOtherCountryPoints);
  // A pair departing from the diagnosis, with its reason.
  AssignPair o{"tns", "p3", "mentor-fr", "intaj", D("2019-04-01"), D("2019-12-01"), 100000, {"service portfolio"}};
  f.refused(o, "topics_not_matched");
  o.override_reason = " \t ";
  f.refused(o, "bad_request");  // a blank reason is no reason
  o.override_reason = "the board asked for its service portfolio first";
  f.ok(o);
  rm = replay<ReadModels>(*f.store).value();
  CHECK(f.vault->text(rm.pairs().at("p3").override_reason) == "the board asked for its service portfolio first");
}

TEST_CASE("tours: representatives and network managers join without the mentees' limit") {
  Fixture f;
  f.setup();
  for (const char* t : {"catalonia", "piedmont", "wallonia"})
    f.ok(ScheduleTour{"tns", t, t, "Host", D("2019-10-01"), D("2019-10-05"), {"Cluster governance"}});
  auto other = [](const char* tour, const char* id, const char* kind = "network_manager") {
    RegisterTourParticipant r{tour, ""};
    r.kind = kind;
    r.participant_id = id;
    r.name = "Fictional Person";
    r.organisation = "Fictional network";
    r.country = "JO";
    return r;
  };
  for (const char* t : {"catalonia", "piedmont", "wallonia"}) f.ok(other(t, "nm1"));
  f.refused(other("wallonia", "nm1"), "conflict");
  f.refused(other("wallonia", "x", "tourist"), "bad_request");
  auto no_country = other("wallonia", "cr1", "cluster_representative");
  no_country.country = "Jordan";
  f.refused(no_country, "bad_request");
  f.ok(other("wallonia", "cr1", "cluster_representative"));
  // A mentee goes by mentee_id, with the limit: not as another kind.
  f.refused(other("wallonia", "intaj", "cluster_representative"), "bad_request");
  f.refused(CancelTourParticipant{"wallonia", "", "ill", "nobody"}, "not_found");
  f.refused(CancelTourParticipant{"wallonia", "intaj", "ill", "cr1"}, "bad_request");
  f.ok(CancelTourParticipant{"wallonia", "", "ill", "cr1"});
  // The mentees' limit is untouched by them.
  f.ok(RegisterTourParticipant{"catalonia", "intaj"});
  f.ok(RegisterTourParticipant{"piedmont", "intaj"});
  f.refused(RegisterTourParticipant{"wallonia", "intaj"}, "tour_limit_exceeded");
  auto rm = replay<ReadModels>(*f.store).value();
  const TourExtra& w = rm.tours().at("wallonia");
  REQUIRE(w.people.size() == 1);
  CHECK(w.people[0].kind == "network_manager");
  CHECK(w.topics == std::vector<std::string>{"Cluster governance"});
  CHECK(rm.tours().at("catalonia").people.size() == 2);
}

TEST_CASE("rules as data: an amendment applies from then on, and each decision names its rules version") {
  Fixture f;
  f.setup();
  f.pair("p1", "intaj");
  Rules more = rules_2019();
  more.hour_cap_minutes = 40 * 60;
  f.ok(f.session("p1", "s1", 32 * 60));
  f.refused(f.session("p1", "s2", 60), "hour_cap_exceeded");
  f.ok(AmendRules{"tns", more, "cap raised by the steering committee"});
  auto r = f.run(f.session("p1", "s2", 60));
  REQUIRE(r.is_ok());
  auto ev = f.store->read_one(r->events[0].position);
  REQUIRE(ev.is_ok());
  CHECK(ev->view().env->rules_version() == 2);
  CHECK(ev->view().programme_id() == "tns");
  auto first = f.store->read_one(1);
  CHECK(first->view().env->rules_version() == 1);
}

TEST_CASE("bad input is refused before anything is written") {
  Fixture f;
  f.setup();
  Rules broken = rules_2019();
  broken.min_months = 13;
  f.refused(OpenProgramme{"x", "X", "Y", broken}, "bad_request");
  f.refused(OpenProgramme{"tns", "dup", "Y", rules_2019()}, "conflict");
  f.refused(OpenProgramme{"bad id!", "X", "Y", rules_2019()}, "bad_request");
  f.refused(EnrolMentee{"nope", "m", "n", "c", "s", "TN", ""}, "not_found");
  f.refused(AssignPair{"tns", "p1", "mentor-fr", "intaj", D("2019-04-01"), D("2019-12-01"), 100000, {"astrology"}},
            "unknown_knowledge_area");
  f.refused(IssueInvoice{"nope", "i", "1", D("2019-06-01"), 1, 0}, "not_found");
}

TEST_CASE("race: 16 threads of invoices for one mentee never pass the cap; the same for sessions") {
  Fixture f;
  f.setup();
  f.pair("p1", "intaj", 310000);
  constexpr int kThreads = 16;
  std::atomic<int> accepted_invoices{0}, accepted_sessions{0}, refused_fee{0}, refused_hours{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::string n = std::to_string(t);
      // EUR 300.00 each: 10 fit under EUR 3,100.00.
      auto r = f.run(IssueInvoice{"p1", "inv-" + n, "N-" + n, D("2019-06-01"), 30000, 0});
      if (r.is_ok())
        ++accepted_invoices;
      else if (r.status().reason() == "fee_cap_exceeded")
        ++refused_fee;
      // 150 minutes each: 12 fit under 32h00.
      auto s = f.run(f.session("p1", "sess-" + n, 150));
      if (s.is_ok())
        ++accepted_sessions;
      else if (s.status().reason() == "hour_cap_exceeded")
        ++refused_hours;
    });
  }
  for (auto& th : threads) th.join();
  CHECK(accepted_invoices == 10);
  CHECK(refused_fee == 6);
  CHECK(accepted_sessions == 12);
  CHECK(refused_hours == 4);
  f.w->stop();
  auto replayed = [&] {
    State s;
    REQUIRE(f.store
                ->scan(1, 0,
                       [&](const EventView& e) {
                         s.apply(e);
                         return Status::ok();
                       })
                .is_ok());
    return s;
  }();
  CHECK(replayed.mentees().at("intaj").net_invoiced_cents == 300000);
  CHECK(replayed.mentees().at("intaj").minutes_used == 1800);
}

// ---- the control of spending

namespace {

const Actor kFinance{"fiona", "finance"}, kController{"carla", "controller"}, kController2{"ciro", "controller"};

// A pair with sessions, two invoices (one paid by fiona) and the rules'
// evidence requirements.
void control_setup(Fixture& f) {
  Rules r = rules_2019();
  r.evidence_required = {"payment:invoice", "payment:proof_of_payment", "completion:report"};
  f.setup(r);
  f.pair("p1", "intaj", 310000);
  f.ok(f.session("p1", "s1", 120, "2019-05-01"));
  f.ok(IssueInvoice{"p1", "i1", "2019-001", D("2019-06-01"), 200000, 40000}, kFinance);
  f.ok(IssueInvoice{"p1", "i2", "2019-002", D("2019-07-01"), 100000, 20000}, kFinance);
  f.ok(PayInvoice{"i1", D("2019-06-15"), 200000, 40000}, kFinance);
}

AttachEvidence attach(std::string entity, std::string id, std::string kind, char fill = 'a') {
  AttachEvidence a;
  a.entity = std::move(entity);
  a.entity_id = std::move(id);
  a.kind = std::move(kind);
  a.sha256 = std::string(64, fill);
  a.filename = "document.pdf";
  a.content_type = "application/pdf";
  a.size = 1234;
  return a;
}

}  // namespace

TEST_CASE("verification: certified plus deducted is the net invoiced, a deduction names its error, four eyes") {
  Fixture f;
  control_setup(f);
  f.ok(IssueCreditNote{"i2", "cn1", 10000, "one session not held", 0}, kFinance);  // net invoiced 900.00
  f.refused(VerifyExpenditure{"i2", 90000, 1, "calculation", "", ""}, "verification_mismatch", kController);
  f.refused(VerifyExpenditure{"i2", 89999, 0, "", "", ""}, "verification_mismatch", kController);
  f.refused(VerifyExpenditure{"i2", 80000, 10000, "", "", ""}, "error_type_required", kController);
  f.refused(VerifyExpenditure{"i2", 80000, 10000, "typo", "", ""}, "bad_request", kController);
  f.refused(VerifyExpenditure{"i2", 90000, 0, "calculation", "", ""}, "bad_request", kController);
  f.refused(VerifyExpenditure{"i2", 80000, 10000, "ineligible_cost", "", "no-such-sample"}, "not_found", kController);
  // The person who recorded the invoice or a payment of it may not verify
  // it, whatever the role of the token it uses now.
  auto msg = f.refused(VerifyExpenditure{"i1", 200000, 0, "", "", ""}, "four_eyes", {"fiona", "controller"});
  CHECK(msg.find("fiona") != std::string::npos);
  f.ok(PayInvoice{"i2", D("2019-07-10"), 50000, 0}, {"paolo", "finance"});
  f.refused(VerifyExpenditure{"i2", 90000, 0, "", "", ""}, "four_eyes", {"paolo", "controller"});
  auto r = f.run(VerifyExpenditure{"i2", 90000, 0, "", "", ""}, {"paolo", "controller"});
  CHECK(r.status().kind() == Kind::forbidden);
  f.ok(VerifyExpenditure{"i2", 80000, 10000, "ineligible_cost", "one day outside the period", ""}, kController);
  f.ok(VerifyExpenditure{"i1", 200000, 0, "", "", ""}, kController);
  f.ok(IssueInvoice{"p1", "i3", "2019-003", D("2019-08-01"), 1000, 0}, kFinance);
  f.ok(CancelInvoice{"i3", "issued twice"}, kFinance);
  f.refused(VerifyExpenditure{"i3", 1000, 0, "", "", ""}, "invoice_cancelled", kController);

  auto rm = replay<ReadModels>(*f.store).value();
  Budget b = budget(rm, "tns", true);
  CHECK(b.totals.verified == 290000);
  CHECK(b.totals.certified == 280000);
  CHECK(b.totals.deducted == 10000);
  CHECK(b.certified_eu_share_cents == 252000);
  REQUIRE(b.explain.certified.size() == 2);
  CHECK(b.explain.certified[0].type == fb::Event::ExpenditureVerified);
  // A later verification replaces the first.
  f.ok(VerifyExpenditure{"i2", 90000, 0, "", "on second look the day was inside", ""}, kController2);
  CHECK(budget(replay<ReadModels>(*f.store).value(), "tns", false).totals.certified == 290000);
}

TEST_CASE("findings and corrections: another person corrects, up to what is certified; as-of before it unchanged") {
  Fixture f;
  control_setup(f);
  f.ok(VerifyExpenditure{"i1", 200000, 0, "", "", ""}, kController);
  std::uint64_t verified_at = f.store->head().position;
  f.refused(RecordFinding{"tns", "f1", "court_of_auditors", "i1", {verified_at + 1}, "calculation", 30000, "x"},
            "bad_request", kController);  // a position beyond the head
  f.refused(RecordFinding{"tns", "f1", "nobody", "i1", {1}, "calculation", 30000, "x"}, "bad_request", kController);
  f.refused(RecordFinding{"tns", "f1", "olaf", "i9", {1}, "calculation", 30000, "x"}, "not_found", kController);
  f.refused(RecordFinding{"tns", "f1", "olaf", "i1", {}, "calculation", 30000, "x"}, "bad_request", kController);
  f.ok(RecordFinding{"tns",
                     "f1",
                     "audit_authority",
                     "i1",
                     {verified_at},
                     "double_funding",
                     200000,
                     "the same days invoiced to another programme"},
       kController);
  f.refused(RecordFinding{"tns", "f1", "olaf", "i1", {1}, "calculation", 1, "x"}, "conflict", kController);
  // Not by the one who recorded the finding.
  f.refused(ApplyCorrection{"f1", "c1", 1000, "as found"}, "four_eyes", {"carla", "finance"});
  // Up to what is certified: exactly it is taken, a cent more is not.
  f.refused(ApplyCorrection{"f1", "c1", 200001, "as found"}, "correction_exceeds_certified", kFinance);
  f.refused(ApplyCorrection{"f1", "c1", 0, "as found"}, "bad_request", kFinance);
  f.ok(ApplyCorrection{"f1", "c1", 150000, "as found"}, kFinance);
  std::uint64_t corrected_at = f.store->head().position;
  f.refused(ApplyCorrection{"f1", "c1", 1, "again"}, "conflict", kFinance);
  f.refused(ApplyCorrection{"f1", "c2", 50001, "the rest"}, "correction_exceeds_certified", kFinance);
  f.ok(ApplyCorrection{"f1", "c2", 50000, "the rest"}, kFinance);
  // A new verification cannot certify below the corrections already taken.
  f.refused(VerifyExpenditure{"i1", 199999, 1, "other", "", ""}, "verification_mismatch", kController2);

  auto rm = replay<ReadModels>(*f.store).value();
  Budget b = budget(rm, "tns", true);
  CHECK(b.totals.certified == 0);
  CHECK(b.totals.corrected == 200000);
  // explain shows each correction in the totals it changes.
  std::int64_t sum = 0;
  for (auto& e : b.explain.certified) sum += e.cents;
  CHECK(sum == b.totals.certified);
  CHECK(b.explain.certified.size() == 3);
  CHECK(b.explain.certified[1].type == fb::Event::FinancialCorrectionApplied);
  CHECK(b.explain.certified[1].position == corrected_at);
  CHECK(b.mentees.at(0).f.certified == 0);
  // As of before the correction: as verified.
  auto before = replay<ReadModels>(*f.store, AsOf{corrected_at - 1}).value();
  CHECK(budget(before, "tns", false).totals.certified == 200000);
  CHECK(budget(before, "tns", false).totals.corrected == 0);
  const FindingRow* row = State::find(rm.findings(), "f1");
  REQUIRE(row);
  CHECK(row->corrections.size() == 2);
  CHECK(f.vault->text(row->recorded.by) == "carla");
}

TEST_CASE("samples: requested, seeded by the event after the request, drawn once and reproducibly; edges") {
  Fixture f;
  control_setup(f);
  f.refused(RequestSample{"tns", "s0", "sessions", "monetary_unit", 1}, "method_not_applicable", kController);
  f.refused(RequestSample{"tns", "s0", "invoices_paid", "simple_random", 2}, "sample_too_large", kController);
  f.refused(RequestSample{"tns", "s0", "invoices_paid", "simple_random", 0}, "bad_request", kController);
  f.refused(RequestSample{"tns", "s0", "payments", "simple_random", 1}, "bad_request", kController);
  f.refused(RequestSample{"tns", "s0", "invoices_paid", "stratified", 1}, "bad_request", kController);
  f.ok(PayInvoice{"i2", D("2019-07-15"), 100000, 0}, kFinance);
  f.ok(RequestSample{"tns", "s1", "invoices_paid", "monetary_unit", 2, "the year's sample"}, kController);
  // Nothing follows the request yet: its seed does not exist.
  f.refused(DrawSample{"tns", "s1"}, "seed_pending", kController);
  f.refused(RequestSample{"tns", "s1", "invoices_paid", "monetary_unit", 1}, "conflict", kController);
  f.ok(RequestSample{"tns", "s2", "sessions", "simple_random", 1}, kController);  // the event after s1
  f.ok(DrawSample{"tns", "s1"}, kController);
  f.refused(DrawSample{"tns", "s1"}, "sample_drawn", kController);
  f.ok(DrawSample{"tns", "s2"}, kController);
  f.refused(DrawSample{"tns", "s9"}, "not_found", kController);

  auto events = f.store->read(1, 1000).value();
  int drawn_events = 0;
  for (auto& ev : events) {
    EventView v = ev.view();
    auto* drawn = v.as<fb::SampleDrawn>();
    if (!drawn) continue;
    ++drawn_events;
    CAPTURE(EventView::sv(drawn->sample_id()));
    // The seed is the hash of the event after the request.
    REQUIRE(drawn->request_position() > 0);
    CHECK(drawn->seed_position() == drawn->request_position() + 1);
    const EventView after = events.at(drawn->seed_position() - 1).view();
    CHECK(EventView::bytes(drawn->seed()) == after.hash_bytes());
    // The population of the events before the request, and its seed, draw
    // the same selection again.
    auto state = replay<State>(*f.store, AsOf{drawn->request_position() - 1}).value();
    auto kind = parse_population(EventView::sv(drawn->population())).value();
    auto items = population(state, "tns", kind);
    CHECK(population_sha256(items, kind) == EventView::sv(drawn->population_sha256()));
    Hash seed{};
    std::copy_n(after.hash_bytes().begin(), 32, seed.begin());
    SampleDraw again =
        draw_sample(items, parse_sample_method(EventView::sv(drawn->method())).value(), drawn->size(), seed);
    REQUIRE(again.units.size() == drawn->items()->size());
    for (std::size_t i = 0; i < again.units.size(); ++i) {
      CHECK(again.units[i].id == drawn->items()->Get(static_cast<flatbuffers::uoffset_t>(i))->id()->str());
      CHECK(again.units[i].hits == drawn->items()->Get(static_cast<flatbuffers::uoffset_t>(i))->hits());
    }
    CHECK(drawn->population_count() == static_cast<std::int64_t>(items.size()));
    // And so does the check of a pack, from the State just before the draw.
    auto before = replay<State>(*f.store, AsOf{v.position() - 1}).value();
    SampleRedraw r = redraw_sample(before, v);
    CHECK_MESSAGE(r.matches, r.mismatch);
  }
  CHECK(drawn_events == 2);
  auto core = replay<State>(*f.store).value();
  auto requests = requests_of_population(core, "tns", "invoices_paid", "");
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].id == "s1");
  CHECK(requests[0].drawn_position > 0);
  auto rm = replay<ReadModels>(*f.store).value();
  const ProgrammeIndex* idx = State::find(rm.programmes(), "tns");
  REQUIRE(idx->samples.size() == 2);
  // Both paid invoices (2,000.00 and 1,000.00, an interval of 1,500.00):
  // the one above the interval is certain to be hit.
  CHECK(idx->samples[0].interval_cents == 150000);
  CHECK(idx->samples[0].population_total_cents == 300000);
  bool has_i1 = false;
  for (auto& u : idx->samples[0].units) has_i1 |= u.id == "i1";
  CHECK(has_i1);
}

TEST_CASE("sampling: the generator and the monetary-unit draw, by hand") {
  Hash seed{};
  seed[0] = 1;
  SampleRandom a(seed), b(seed);
  for (int i = 0; i < 5; ++i) CHECK(a.next() == b.next());
  // below(m) stays below m and takes every value over many draws.
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 200; ++i) seen.insert(a.below(3));
  CHECK(seen == std::set<std::uint64_t>{0, 1, 2});
  // Monetary unit: a unit of at least the interval is always selected, and
  // the hits add up to the size.
  std::vector<PopulationItem> items = {{"a", 100}, {"b", 700}, {"c", 150}, {"d", 50}};
  for (std::uint8_t k = 0; k < 50; ++k) {
    seed[1] = k;
    SampleDraw d = draw_sample(items, SampleMethod::monetary_unit, 4, seed);
    CHECK(d.interval_cents == 250);
    std::int32_t hits = 0, b_hits = 0;
    for (auto& u : d.units) {
      hits += u.hits;
      if (u.id == "b") b_hits = u.hits;
    }
    CHECK(hits == 4);
    CHECK(b_hits >= 2);  // 700 cents span at least two points 250 apart
    SampleDraw r = draw_sample(items, SampleMethod::simple_random, 4, seed);
    std::set<std::string> ids;
    for (auto& u : r.units) ids.insert(u.id);
    CHECK(ids.size() == 4);  // without replacement
  }
}

TEST_CASE("evidence: attached to what exists, the kinds of the rules, the gaps they leave") {
  Fixture f;
  control_setup(f);
  f.refused(attach("invoice", "i9", "invoice"), "not_found", kFinance);
  f.refused(attach("invoice", "i1", "selfie"), "bad_request", kFinance);
  auto bad_hash = attach("invoice", "i1", "invoice");
  bad_hash.sha256 = std::string(64, 'A');
  f.refused(bad_hash, "bad_request", kFinance);
  auto session = attach("session", "p1", "attendance");
  session.session_id = "s9";
  f.refused(session, "not_found");
  f.refused(attach("tour", "t1", "other"), "bad_request");

  auto gaps = [&] { return evidence_gaps(replay<ReadModels>(*f.store).value(), "tns"); };
  // i1 is paid: it needs an invoice and a proof of payment; i2 is not paid yet.
  auto g = gaps();
  REQUIRE(g.size() == 2);
  CHECK(g[0].step == "payment");
  CHECK(g[0].entity_id == "i1");
  CHECK(g[0].kind == "invoice");
  CHECK(g[1].kind == "proof_of_payment");
  f.ok(attach("invoice", "i1", "invoice", 'a'), kFinance);
  f.ok(attach("invoice", "i1", "proof_of_payment", 'b'), kFinance);
  CHECK(gaps().empty());
  // A completed pair needs its report, attached to the pair.
  f.ok(SubmitReport{"p1", "en", {"strategy"}, "Progress.", "Outcomes."});
  f.ok(CompletePair{"p1"});
  g = gaps();
  REQUIRE(g.size() == 1);
  CHECK(g[0].step == "completion");
  CHECK(g[0].entity == "pair");
  f.ok(attach("pair", "p1", "report", 'c'));
  CHECK(gaps().empty());
  auto rm = replay<ReadModels>(*f.store).value();
  const auto* links = State::find(rm.evidence(), std::string(64, 'a'));
  REQUIRE(links);
  CHECK(links->at(0).entity_id == "i1");
  CHECK(f.vault->text(links->at(0).recorded_by) == "fiona");
}

TEST_CASE("rules: evidence requirements name known steps and kinds; retention is 1 to 100 years") {
  Fixture f;
  Rules r = rules_2019();
  r.evidence_required = {"payment:selfie"};
  f.refused(OpenProgramme{"x", "X", "C", r}, "bad_request");
  r.evidence_required = {"lunch:invoice"};
  f.refused(OpenProgramme{"x", "X", "C", r}, "bad_request");
  r.evidence_required = {"payment:invoice", "payment:invoice"};
  f.refused(OpenProgramme{"x", "X", "C", r}, "bad_request");
  r.evidence_required = {"payment:invoice"};
  r.retention_years = 0;
  f.refused(OpenProgramme{"x", "X", "C", r}, "bad_request");
  r.retention_years = 10;
  f.ok(OpenProgramme{"x", "X", "C", r});
}

TEST_CASE("late entries and retention: what an auditor looks at twice") {
  Fixture f;
  control_setup(f);
  // A session recorded 40 days after it took place.
  f.now = T("2019-06-20T09:00:00Z");
  f.ok(LogSession{"p1", "late", D("2019-05-10"), 60, fb::Mode::remote, fb::Format::bilateral, {"strategy"}, "x"});
  // A payment dated before its invoice.
  f.ok(IssueInvoice{"p1", "i3", "2019-003", D("2019-06-10"), 5000, 0}, kFinance);
  f.ok(PayInvoice{"i3", D("2019-06-09"), 5000, 0}, kFinance);
  // An application received before the deadline, recorded after it.
  f.ok(SubmitApplication{"tns",
                         "a2",
                         "Late Mentor",
                         "Cluster IT",
                         "l@example.org",
                         "IT",
                         fb::Profile::cluster_manager,
                         3,
                         {"strategy"},
                         300000,
                         T("2019-03-15T22:00:00Z")});
  auto rm = replay<ReadModels>(*f.store).value();
  auto entries = late_entries(rm, "tns", 30);
  std::map<std::string, int> by_type;
  for (auto& e : entries) ++by_type[e.type];
  CHECK(by_type["session_late"] == 1);
  CHECK(by_type["payment_before_invoice"] == 1);
  CHECK(by_type["application_after_deadline"] == 1);
  CHECK(by_type["invoice_before_first_session"] == 0);  // every invoice comes after the first session
  for (auto& e : entries)
    if (e.type == "session_late") CHECK(e.days_late == 41);
  CHECK(late_entries(rm, "tns", 41).size() == 2);  // not more than 41 days: not late
  // Retention: 31 December of the last payment's year plus five years.
  Retention ret = retention(rm, "tns");
  CHECK(format_date(ret.last_payment_date) == "2019-06-15");
  CHECK(format_date(ret.retain_until) == "2024-12-31");
  CHECK(ret.years == 5);
}

TEST_CASE("control after review: a credit note makes a verification stale; the verifier neither pays nor credits") {
  Fixture f;
  control_setup(f);
  // i2 (1,000.00, unpaid) verified, then credited: its verification no longer holds.
  f.ok(VerifyExpenditure{"i2", 100000, 0, "", "", ""}, kController);
  CHECK(budget(replay<ReadModels>(*f.store).value(), "tns", false).totals.certified == 100000);
  // The one who verified it does not pay or credit it after.
  f.refused(PayInvoice{"i2", D("2019-07-10"), 1000, 0}, "four_eyes", {"carla", "finance"});
  f.refused(IssueCreditNote{"i2", "cn0", 1000, "x", 0}, "four_eyes", {"carla", "finance"});
  f.ok(IssueCreditNote{"i2", "cn1", 40000, "two sessions not held", 0}, {"fabio", "finance"});
  auto rm = replay<ReadModels>(*f.store).value();
  Budget b = budget(rm, "tns", false);
  CHECK(b.totals.verified == 0);
  CHECK(b.totals.certified == 0);
  CHECK(State::find(rm.invoices(), "i2")->verification.stale_position == f.store->head().position);
  // Nothing to correct on a stale verification.
  f.ok(RecordFinding{"tns", "f1", "controller", "i2", {1}, "calculation", 100, "x"}, kController);
  f.refused(ApplyCorrection{"f1", "c1", 100, "x"}, "correction_exceeds_certified", kFinance);
  // The credit note's author may not verify it; another controller does, on the new net.
  f.refused(VerifyExpenditure{"i2", 60000, 0, "", "", ""}, "four_eyes", {"fabio", "controller"});
  f.ok(VerifyExpenditure{"i2", 60000, 0, "", "", ""}, kController2);
  CHECK(budget(replay<ReadModels>(*f.store).value(), "tns", false).totals.certified == 60000);
  // The outcome of a correction names the correction.
  auto r = f.run(ApplyCorrection{"f1", "c1", 100, "x"}, kFinance);
  REQUIRE(r.is_ok());
  CHECK(r->id == "c1");
}

TEST_CASE(
    "control, second review: corrections count whatever follows; a credit note stays above them; "
    "a controlled invoice is not cancelled") {
  Fixture f;
  control_setup(f);
  // i2: net 1,000.00, unpaid; verified, and 300.00 of it corrected.
  f.ok(VerifyExpenditure{"i2", 100000, 0, "", "", ""}, kController);
  f.ok(RecordFinding{"tns", "f1", "audit_authority", "i2", {1}, "calculation", 30000, "x"}, kController);
  f.ok(ApplyCorrection{"f1", "c1", 30000, "as found"}, kFinance);
  f.refused(CancelInvoice{"i2", "issued by mistake"}, "invoice_controlled", kFinance);
  // Its net may not fall below the corrections: 700.01 is refused, 700.00 taken.
  auto msg = f.refused(IssueCreditNote{"i2", "cn1", 70001, "x", 0}, "credit_below_corrections", {"fabio", "finance"});
  CHECK(msg ==
        "invoice i2: financial corrections of EUR 300.00 were applied; a credit note of EUR 700.01 would take its net "
        "invoiced (EUR 1,000.00) below them");
  f.ok(IssueCreditNote{"i2", "cn1", 70000, "two sessions not held", 0}, {"fabio", "finance"});
  // The verification is stale; the correction still counts, as the findings
  // register has it.
  auto rm = replay<ReadModels>(*f.store).value();
  Budget b = budget(rm, "tns", false);
  CHECK(b.totals.certified == 0);
  CHECK(b.totals.corrected == 30000);
  std::int64_t registered = 0;
  for (auto& [id, row] : rm.findings())
    for (auto& c : row.corrections) registered += c.amount_cents;
  CHECK(b.totals.corrected == registered);
  // Verified alone is enough to keep it.
  f.ok(IssueInvoice{"p1", "i3", "2019-003", D("2019-08-01"), 50000, 0}, kFinance);
  f.ok(VerifyExpenditure{"i3", 50000, 0, "", "", ""}, kController);
  f.refused(CancelInvoice{"i3", "issued by mistake"}, "invoice_controlled", kFinance);
  // Neither verified nor corrected: cancelled as before.
  f.ok(IssueInvoice{"p1", "i4", "2019-004", D("2019-08-02"), 30000, 0}, kFinance);
  f.ok(CancelInvoice{"i4", "issued by mistake"}, kFinance);
}

TEST_CASE("control, second review: a finding is bounded by its invoice; four eyes compares persons, not bytes") {
  Fixture f;
  control_setup(f);
  f.refused(RecordFinding{"tns", "f1", "olaf", "i2", {1}, "calculation", 100001, "x"}, "finding_exceeds_invoice",
            kController);
  f.ok(RecordFinding{"tns", "f1", "olaf", "i2", {1}, "calculation", 100000, "x"}, kController);
  // fiona issued i2: "Fiona" and " fiona  " are fiona.
  f.refused(VerifyExpenditure{"i2", 100000, 0, "", "", ""}, "four_eyes", {"Fiona", "controller"});
  f.refused(VerifyExpenditure{"i2", 100000, 0, "", "", ""}, "four_eyes", {" fiona  ", "controller"});
  f.ok(VerifyExpenditure{"i2", 100000, 0, "", "", ""}, kController);
  // carla verified i2 and recorded f1: "CARLA" neither pays nor credits it,
  // "Carla " does not apply the finding's correction.
  f.refused(PayInvoice{"i2", D("2019-07-10"), 1000, 0}, "four_eyes", {"CARLA", "finance"});
  f.refused(IssueCreditNote{"i2", "cn1", 1000, "x", 0}, "four_eyes", {"CARLA", "finance"});
  f.refused(ApplyCorrection{"f1", "c1", 100, "x"}, "four_eyes", {"Carla ", "finance"});
  f.ok(ApplyCorrection{"f1", "c1", 100, "x"}, kFinance);
  CHECK(same_person("Demo-Finance", "demo-finance "));
  CHECK(same_person(" a \t b ", "A B"));
  CHECK_FALSE(same_person("ab", "a b"));
  CHECK(person_name("  Demo \t Finance \n") == "Demo Finance");
}

TEST_CASE("control after review: it goes on once the programme is closed; samples name what they selected") {
  Fixture f;
  control_setup(f);
  // i3 is cancelled before any control (once verified, it could not be).
  f.ok(IssueInvoice{"p1", "i3", "2019-003", D("2019-08-01"), 1000, 0}, kFinance);
  f.ok(CancelInvoice{"i3", "issued twice"}, kFinance);
  f.ok(TerminatePair{"p1", "the programme ends"});
  f.ok(CloseProgramme{"tns", D("2020-01-31"), "the programme ended"});
  f.refused(PayInvoice{"i2", D("2020-02-10"), 1000, 0}, "programme_closed", kFinance);
  // Findings come years later: the control of spending is not closed.
  f.ok(RequestSample{"tns", "s1", "invoices_paid", "simple_random", 1}, kController);
  f.ok(attach("invoice", "i1", "invoice"), kFinance);
  f.ok(DrawSample{"tns", "s1"}, kController);
  f.refused(VerifyExpenditure{"i2", 100000, 0, "", "", "s1"}, "not_in_sample", kController);  // only i1 is paid
  f.ok(VerifyExpenditure{"i1", 200000, 0, "", "", "s1"}, kController);
  f.ok(RecordFinding{"tns", "f1", "olaf", "i1", {1}, "double_funding", 500, "x"}, kController);
  f.ok(ApplyCorrection{"f1", "c1", 500, "x"}, kFinance);
  CHECK(budget(replay<ReadModels>(*f.store).value(), "tns", false).totals.certified == 199500);
  // A cancelled invoice declares nothing: no correction applies to it.
  f.ok(RecordFinding{"tns", "f2", "commission", "i3", {1}, "other", 100, "x"}, kController);
  f.refused(ApplyCorrection{"f2", "c2", 100, "x"}, "invoice_cancelled", kFinance);
}

TEST_CASE("erasure: the person's key is destroyed with its event; retention, court orders, unknown, twice") {
  Fixture f;
  f.setup();  // retention 5 years
  f.pair("p1", "intaj", 310000);
  f.ok(f.session("p1", "s1", 120, "2019-05-01"));
  f.ok(IssueInvoice{"p1", "i1", "2019-001", D("2019-06-01"), 100000, 0}, kFinance);
  f.ok(PayInvoice{"i1", D("2019-06-15"), 100000, 0}, kFinance);
  const Actor dpo{"Data Officer", "dpo"};
  using B = fb::ErasureBasis;
  const auto before = replay<ReadModels>(*f.store).value();
  CHECK(retention_end(*State::find(before.core().programmes(), "tns")) == D("2024-12-31"));

  // The last day of the retention: refused; a court order may erase earlier.
  f.now = T("2024-12-31T12:00:00Z");
  std::string why =
      f.refused(EraseSubject{"mentee:intaj", B::retention_ended, "", "retention over"}, "retention_period", dpo);
  CHECK(why.find("2024-12-31") != std::string::npos);
  f.refused(EraseSubject{"mentee:nobody", B::court_order, "TJ 1", "order"}, "not_found", dpo);
  f.refused(EraseSubject{"someone", B::court_order, "TJ 1", "order"}, "not_found", dpo);
  f.refused(EraseSubject{"mentee:intaj", B::court_order, "", "order"}, "bad_request", dpo);
  f.refused(EraseSubject{"mentee:intaj", B::retention_ended, "", ""}, "bad_request", dpo);
  // A member of staff the ledger holds no key for.
  f.refused(EraseSubject{"staff:00000000000000000000", B::court_order, "TJ 1", "order"}, "not_found", dpo);

  // The day after: erased, and the key is destroyed in the same write.
  f.now = T("2025-01-01T09:00:00Z");
  CHECK_FALSE(f.vault->erased("mentee:intaj").value());
  f.ok(EraseSubject{"mentee:intaj", B::retention_ended, "", "retention over"}, dpo);
  CHECK(f.vault->erased("mentee:intaj").value());
  f.refused(EraseSubject{"mentee:intaj", B::retention_ended, "", "again"}, "subject_erased", dpo);
  // Nothing more is recorded about them.
  f.refused(TerminatePair{"p1", "the mentee left"}, "subject_erased");

  // Their fields read as erased, a text of the pair too (it was theirs as
  // well); the figures and the other people's fields are as they were.
  auto after = replay<ReadModels>(*f.store).value();
  after.set_vault(f.vault.get());
  const MenteeState* m = State::find(after.core().mentees(), "intaj");
  REQUIRE(m != nullptr);
  CHECK(f.vault->text(m->name) == kErasedText);
  CHECK(f.vault->text(m->cluster_name) == kErasedText);
  CHECK(m->minutes_used == 120);
  const MenteeState* other = State::find(after.core().mentees(), "dz-digital");
  CHECK(f.vault->text(other->name) == "Fictional Manager 2");
  CHECK(budget(after, "tns", false).totals == budget(before, "tns", false).totals);
  auto rep = f.store->verify();
  CHECK_MESSAGE(rep.ok, rep.detail);

  // A court order erases within the retention, and names its reference.
  f.ok(EraseSubject{"applicant:a1", B::court_order, "TJ Paris 25/123", "order of the court"}, dpo);
  auto last = f.store->read_one(f.store->head().position).value();
  const auto* erased = last.view().as<fb::SubjectErased>();
  REQUIRE(erased != nullptr);
  CHECK(erased->subject()->str() == "applicant:a1");
  CHECK(erased->court_reference()->str() == "TJ Paris 25/123");
  CHECK(erased->programme_ids()->size() == 1);
  CHECK(last.view().stream() == "subject-applicant:a1");
}

TEST_CASE("ledger privacy due lists, and erase-due erases, the people whose retention has ended") {
  Fixture f;
  f.setup();  // retention 5 years
  f.pair("p1", "intaj", 310000);
  f.ok(f.session("p1", "s1", 120, "2019-05-01"));
  f.ok(IssueInvoice{"p1", "i1", "2019-001", D("2019-06-01"), 100000, 0}, kFinance);
  f.ok(PayInvoice{"i1", D("2019-06-15"), 100000, 0}, kFinance);  // kept until 2024-12-31
  const auto before = replay<ReadModels>(*f.store).value();
  const std::uint64_t head = f.store->head().position;
  // The ledger closed, as when its server is stopped.
  f.w->stop();
  f.w.reset();
  f.vault.reset();
  f.store.reset();
  const std::string data = f.dir.path();
  std::string out;
  using json = nlohmann::json;
  using test::run_ledger;

  // On the last day of the retention, nobody is due; the day after, every
  // person the programme names (its staff too, as it is their only one).
  REQUIRE(run_ledger({"privacy", "due", "--data", data, "--on", "2024-12-31"}, &out) == 0);
  json on_last = json::parse(out);
  CHECK(on_last["due"].empty());
  const std::size_t held = on_last["held"];
  CHECK(held >= 5);
  REQUIRE(run_ledger({"privacy", "due", "--data", data, "--on", "2025-01-01"}, &out) == 0);
  json after = json::parse(out);
  std::set<std::string> due;
  for (auto& d : after["due"]) {
    due.insert(d["subject"].get<std::string>());
    CHECK(d["programmes"] == json::array({{{"programme_id", "tns"}, {"retain_until", "2024-12-31"}}}));
  }
  for (const char* s : {"mentee:intaj", "mentee:dz-digital", "applicant:a1", "coordinator:tns"})
    CHECK_MESSAGE(due.contains(s), s);
  CHECK(due.size() == held);
  CHECK(run_ledger({"privacy", "due", "--data", data, "--on", "2025-02-30"}, &out, true) == 1);
  CHECK(out.find("YYYY-MM-DD") != std::string::npos);

  // Erased today (past 2024-12-31): one event each, nothing refused.
  REQUIRE(run_ledger({"privacy", "erase-due", "--data", data}, &out) == 0);
  json done = json::parse(out);
  CHECK(done["refused"].empty());
  REQUIRE(done["erased"].size() == due.size());
  std::uint64_t expect = head;
  for (auto& e : done["erased"]) {
    CHECK(due.contains(e["subject"].get<std::string>()));
    CHECK(e["position"] == ++expect);
  }
  // Nobody is left to erase, and a second run writes nothing.
  REQUIRE(run_ledger({"privacy", "due", "--data", data}, &out) == 0);
  CHECK(json::parse(out)["due"].empty());
  REQUIRE(run_ledger({"privacy", "erase-due", "--data", data}, &out) == 0);
  CHECK(json::parse(out)["erased"].empty());

  // The keys are gone, every figure is as it was, and the log verifies.
  auto store = Store::open(f.dir.sub("ledger")).value();
  CHECK(store->head().position == expect);
  auto vault = test::open_vault(data, *store);
  for (const auto& s : due) CHECK_MESSAGE(vault->erased(s).value(), s);
  auto rep = store->verify();
  CHECK_MESSAGE(rep.ok, rep.detail);
  auto now = replay<ReadModels>(*store).value();
  now.set_vault(vault.get());
  CHECK(budget(now, "tns", false).totals == budget(before, "tns", false).totals);
  CHECK(vault->text(State::find(now.core().mentees(), "intaj")->name) == kErasedText);

  // While the store is held open (a server), erase-due refuses and says why.
  CHECK(run_ledger({"privacy", "erase-due", "--data", data}, &out, true) == 1);
  CHECK(out.find("stop the server first") != std::string::npos);
}
