#include "http/json_commands.h"

#include <cstdio>
#include <limits>
#include <set>

#include "base/dates.h"

namespace pl {
namespace {

using json = nlohmann::json;

// Free text: summaries, reasons, names and notes at most 4,000 characters;
// each field of a final report at most 20,000.
constexpr std::size_t kMaxText = 4000;
constexpr std::size_t kMaxReportField = 20000;
// Amounts and caps in cents, durations in minutes: far above any programme,
// far below where a sum of a million of them could wrap a signed 64-bit total.
constexpr std::int64_t kMaxCents = 1'000'000'000'000;  // 10^12 cents: EUR 10 billion
constexpr std::int64_t kMaxMinutes = 10'000'000;       // 10^7 minutes: 19 years

// Why a string may not be stored as given: a control character other than tab,
// newline and carriage return (C0, DEL, C1), which some readers cut at or hide;
// or more than `max` characters (code points). Empty when it may.
std::string text_problem(const std::string& s, std::size_t max, std::string* code) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    std::uint32_t cp = c;
    std::size_t len = 1;
    if (c >= 0xF0)
      len = 4, cp = c & 0x07;
    else if (c >= 0xE0)
      len = 3, cp = c & 0x0F;
    else if (c >= 0xC0)
      len = 2, cp = c & 0x1F;
    for (std::size_t k = 1; k < len && i + k < s.size(); ++k)
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || (cp >= 0x7F && cp <= 0x9F)) {
      char hex[16];
      std::snprintf(hex, sizeof hex, "U+%04X", cp);
      *code = "bad_request";
      return std::string("holds the control character ") + hex + " at character " + std::to_string(chars + 1) +
             " (only tab, newline and carriage return are allowed)";
    }
    i += len;
    ++chars;
  }
  if (chars > max) {
    *code = "too_long";
    return "is " + std::to_string(chars) + " characters long, more than the " + std::to_string(max) + " allowed";
  }
  return {};
}

// Reads the fields of one JSON object, keeping the first error.
class Reader {
 public:
  Reader(const json& j, std::string_view what) : j_(j), what_(what) {
    if (!j_.is_object()) fail("the " + std::string(what) + " must be a JSON object");
  }

  std::string text(const char* key, bool required = true, std::size_t max = kMaxText) {
    const json* v = get(key, required);
    if (!v) return {};
    if (!v->is_string()) return type_error(key, "a string"), std::string();
    std::string out = v->get<std::string>();
    std::string code;
    if (std::string why = text_problem(out, max, &code); !why.empty()) fail(std::string(key) + " " + why, code);
    return out;
  }
  // Cents: an amount or a cap, at most 10^12 either way.
  std::int64_t cents(const char* key, bool required = true) { return bounded(key, required, kMaxCents, "cents"); }
  // Minutes: a duration or a cap, at most 10^7 either way.
  std::int64_t minutes(const char* key, bool required = true) { return bounded(key, required, kMaxMinutes, "minutes"); }
  std::int64_t integer(const char* key, bool required = true) {
    const json* v = get(key, required);
    if (!v) return 0;
    if (v->is_number_unsigned()) {
      if (v->get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return fail(std::string(key) + " does not fit in a signed 64-bit integer"), 0;
      return static_cast<std::int64_t>(v->get<std::uint64_t>());
    }
    if (v->is_number_integer()) return v->get<std::int64_t>();
    if (v->is_number_float()) return fail(std::string(key) + " must be an integer that fits in 64 bits"), 0;
    return type_error(key, "an integer"), 0;
  }
  std::int32_t int32(const char* key, bool required = true) {
    std::int64_t v = integer(key, required);
    if (v < std::numeric_limits<std::int32_t>::min() || v > std::numeric_limits<std::int32_t>::max())
      return fail(std::string(key) + " is out of range"), 0;
    return static_cast<std::int32_t>(v);
  }
  std::int32_t date(const char* key, bool required = true) {
    const json* v = get(key, required);
    if (!v) return 0;
    if (!v->is_string()) return type_error(key, "a date (YYYY-MM-DD)"), 0;
    auto d = parse_date(v->get<std::string>());
    if (!d) return fail(std::string(key) + " '" + v->get<std::string>() + "' is not a calendar date (YYYY-MM-DD)"), 0;
    if (*d < kFirstBusinessDay || *d > kLastBusinessDay)
      return fail(std::string(key) + " '" + v->get<std::string>() + "' is outside 1990-01-01 to 2099-12-31"), 0;
    return *d;
  }
  std::optional<std::int64_t> instant(const char* key, bool required = true) {
    const json* v = get(key, required);
    if (!v) return std::nullopt;
    if (!v->is_string()) return type_error(key, "an RFC 3339 instant"), std::nullopt;
    auto t = parse_instant(v->get<std::string>());
    if (!t)
      return fail(std::string(key) + " '" + v->get<std::string>() +
                  "' is not an RFC 3339 instant with an offset (e.g. 2019-03-15T23:59:59+01:00)"),
             std::nullopt;
    if (day_of(*t) < kFirstBusinessDay || day_of(*t) > kLastBusinessDay)
      return fail(std::string(key) + " '" + v->get<std::string>() + "' is outside 1990-01-01 to 2099-12-31 (UTC)"),
             std::nullopt;
    return t;
  }
  std::vector<std::string> strings(const char* key, bool required = true) {
    std::vector<std::string> out;
    const json* v = get(key, required);
    if (!v) return out;
    if (!v->is_array()) return type_error(key, "an array of strings"), out;
    std::set<std::string> seen;
    for (const auto& e : *v) {
      if (!e.is_string()) return type_error(key, "an array of strings"), out;
      out.push_back(e.get<std::string>());
      std::string code;
      if (std::string why = text_problem(out.back(), kMaxText, &code); !why.empty())
        return fail(std::string(key) + ": an entry " + why, code), out;
      // A topic named twice would count its minutes twice.
      if (!seen.insert(out.back()).second) return fail(std::string(key) + " names '" + out.back() + "' twice"), out;
    }
    return out;
  }
  // Whether the body gives `key` (not null).
  // A list of event positions: whole numbers from 1, none twice.
  std::vector<std::uint64_t> positions(const char* key, bool required = true) {
    std::vector<std::uint64_t> out;
    const json* v = get(key, required);
    if (!v) return out;
    if (!v->is_array()) return type_error(key, "an array of positions"), out;
    for (const auto& e : *v) {
      if (!e.is_number_unsigned() || e.get<std::uint64_t>() == 0)
        return fail(std::string(key) + " must hold event positions: whole numbers from 1"), out;
      if (std::find(out.begin(), out.end(), e.get<std::uint64_t>()) != out.end())
        return fail(std::string(key) + " names position " + std::to_string(e.get<std::uint64_t>()) + " twice"), out;
      out.push_back(e.get<std::uint64_t>());
    }
    if (out.size() > 1000) return fail(std::string(key) + " names more than 1000 positions"), out;
    return out;
  }
  bool has(const char* key) const {
    if (!j_.is_object()) return false;
    auto it = j_.find(key);
    return it != j_.end() && !it->is_null();
  }
  // A yes or no; false when absent.
  bool boolean(const char* key, bool required = false) {
    const json* v = get(key, required);
    if (!v) return false;
    if (!v->is_boolean()) return type_error(key, "true or false"), false;
    return v->get<bool>();
  }
  // One of `allowed`; returns its index.
  std::size_t one_of(const char* key, std::initializer_list<const char*> allowed, bool required = true) {
    const json* v = get(key, required);
    if (!v) return 0;
    if (!v->is_string()) return type_error(key, "a string"), 0;
    std::string s = v->get<std::string>();
    std::size_t i = 0;
    std::string list;
    for (const char* a : allowed) {
      if (s == a) return i;
      list += (i ? ", " : "") + std::string(a);
      ++i;
    }
    return fail(std::string(key) + " '" + s + "' is not one of: " + list), 0;
  }

  // Refuses fields that were never read.
  Status finish() {
    if (error_.empty() && j_.is_object())
      for (auto it = j_.begin(); it != j_.end(); ++it)
        if (!seen_.count(it.key())) fail("unknown field '" + it.key() + "' in the " + what_);
    return error_.empty() ? Status::ok() : Status::make(Kind::invalid_argument, code_, error_);
  }

 private:
  const json* get(const char* key, bool required) {
    seen_.insert(key);
    if (!j_.is_object()) return nullptr;
    auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) {
      if (required) fail("missing field '" + std::string(key) + "' in the " + what_);
      return nullptr;
    }
    return &*it;
  }
  void type_error(const char* key, const char* expected) { fail(std::string(key) + " must be " + expected); }
  void fail(std::string m, const std::string& code = "bad_request") {
    if (!error_.empty()) return;
    error_ = std::move(m);
    code_ = code;
  }
  std::int64_t bounded(const char* key, bool required, std::int64_t max, const char* unit) {
    std::int64_t v = integer(key, required);
    if (v > max || v < -max)
      return fail(std::string(key) + " " + std::to_string(v) + " is beyond the " + std::to_string(max) + " " + unit +
                  " a ledger takes"),
             0;
    return v;
  }

  const json& j_;
  std::string what_;
  std::set<std::string> seen_;
  std::string error_;
  std::string code_ = "bad_request";
};

// The rules' fields, as the schema lists them (domain/rules.h): each read by
// its unit, an instant under its name less _us.
Rules read_rules(Reader& r) {
  std::vector<RuleValue> values;
  for (const RuleField& f : rule_fields()) {
    RuleValue v;
    std::string key(f.json_name);
    switch (f.unit) {
      case RuleUnit::minutes:
        v.number = r.minutes(key.c_str());
        break;
      case RuleUnit::cents:
        v.number = r.cents(key.c_str());
        break;
      case RuleUnit::instant:
        v.number = r.instant(key.c_str()).value_or(0);
        break;
      case RuleUnit::strings:
        v.strings = r.strings(key.c_str(), !f.optional());  // an optional list: empty unless given
        break;
      case RuleUnit::boolean:  // optional: false unless given
        v.number = r.boolean(key.c_str()) ? 1 : 0;
        break;
      case RuleUnit::basis_points:
      case RuleUnit::count:  // optional when the schema gives a default
        v.number =
            !f.optional() || r.has(key.c_str()) ? (f.wide ? r.integer(key.c_str()) : r.int32(key.c_str())) : f.fallback;
        break;
    }
    values.push_back(std::move(v));
  }
  return rules_from_values(values);
}

// ---- one reader per command: path ids from `p`, body fields from `b`
OpenProgramme read_open_programme(Reader& b, Reader& /*p: no path ids*/) {
  OpenProgramme c;
  c.id = b.text("id");
  c.name = b.text("name");
  c.coordinator = b.text("coordinator");
  c.rules = read_rules(b);
  return c;
}

AmendRules read_amend_rules(Reader& b, Reader& p) {
  AmendRules c;
  c.programme_id = p.text("pid");
  c.rules = read_rules(b);
  c.reason = b.text("reason");
  for (const RuleField& f : rule_fields())
    if (f.optional() && !b.has(std::string(f.json_name).c_str())) c.kept.emplace_back(f.name);
  return c;
}

CloseProgramme read_close_programme(Reader& b, Reader& p) {
  CloseProgramme c;
  c.programme_id = p.text("pid");
  c.date = b.date("date");
  c.reason = b.text("reason", false);
  return c;
}

HoldJointMeeting read_hold_joint_meeting(Reader& b, Reader& p) {
  HoldJointMeeting c;
  c.programme_id = p.text("pid");
  c.id = b.text("id", false);
  c.date = b.date("date");
  c.title = b.text("title");
  c.pair_ids = b.strings("pair_ids");
  return c;
}

EnrolMentee read_enrol_mentee(Reader& b, Reader& p) {
  EnrolMentee c;
  c.programme_id = p.text("pid");
  c.id = b.text("id");
  c.name = b.text("name");
  c.cluster_name = b.text("cluster_name");
  c.sectors = b.text("sectors");
  c.country = b.text("country");
  c.website = b.text("website", false);
  return c;
}

WithdrawMentee read_withdraw_mentee(Reader& b, Reader& p) {
  WithdrawMentee c;
  c.mentee_id = p.text("mid");
  c.date = b.date("date");
  c.reason = b.text("reason");
  return c;
}

SubmitApplication read_submit_application(Reader& b, Reader& p) {
  SubmitApplication c;
  c.programme_id = p.text("pid");
  c.id = b.text("id");
  c.applicant_name = b.text("applicant_name");
  c.organisation = b.text("organisation");
  c.email = b.text("email");
  c.country = b.text("country");
  c.profile =
      b.one_of("profile", {"cluster_manager", "expert"}) == 1 ? fb::Profile::expert : fb::Profile::cluster_manager;
  c.years_experience = b.int32("years_experience");
  c.knowledge_areas = b.strings("knowledge_areas");
  c.quotation_cents = b.cents("quotation_cents");
  c.received_at_us = b.instant("received_at", false);
  return c;
}

AcceptApplication read_accept_application(Reader& b, Reader& p) {
  AcceptApplication c;
  c.application_id = p.text("aid");
  c.mentor_id = b.text("mentor_id");
  return c;
}

RejectApplication read_reject_application(Reader& b, Reader& p) {
  RejectApplication c;
  c.application_id = p.text("aid");
  c.reason = b.text("reason");
  return c;
}

AssignPair read_assign_pair(Reader& b, Reader& p) {
  AssignPair c;
  c.programme_id = p.text("pid");
  c.id = b.text("id");
  c.mentor_id = b.text("mentor_id");
  c.mentee_id = b.text("mentee_id");
  c.start_date = b.date("start_date");
  c.end_date = b.date("end_date");
  c.agreed_fee_cents = b.cents("agreed_fee_cents");
  c.topics = b.strings("topics");
  c.override_reason = b.text("override_reason", false);
  return c;
}

ChangePairPeriod read_change_pair_period(Reader& b, Reader& p) {
  ChangePairPeriod c;
  c.pair_id = p.text("pair");
  c.end_date = b.date("end_date");
  c.reason = b.text("reason");
  return c;
}

LogSession read_log_session(Reader& b, Reader& p) {
  LogSession c;
  c.pair_id = p.text("pair");
  c.id = b.text("id");
  c.date = b.date("date");
  c.minutes = b.minutes("minutes");
  c.mode = b.one_of("mode", {"remote", "in_person"}) == 1 ? fb::Mode::in_person : fb::Mode::remote;
  c.format = b.one_of("format", {"bilateral", "group"}) == 1 ? fb::Format::group : fb::Format::bilateral;
  c.topics = b.strings("topics");
  c.summary = b.text("summary");
  return c;
}

VoidSession read_void_session(Reader& b, Reader& p) {
  VoidSession c;
  c.pair_id = p.text("pair");
  c.session_id = p.text("sid");
  c.reason = b.text("reason");
  return c;
}

SubmitReport read_submit_report(Reader& b, Reader& p) {
  SubmitReport c;
  c.pair_id = p.text("pair");
  c.language = b.text("language");
  c.topics = b.strings("topics");
  c.progress = b.text("progress", true, kMaxReportField);
  c.outcomes = b.text("outcomes", true, kMaxReportField);
  return c;
}

CompletePair read_complete_pair(Reader& /*b: no body fields*/, Reader& p) {
  CompletePair c;
  c.pair_id = p.text("pair");
  return c;
}

TerminatePair read_terminate_pair(Reader& b, Reader& p) {
  TerminatePair c;
  c.pair_id = p.text("pair");
  c.reason = b.text("reason");
  return c;
}

IssueInvoice read_issue_invoice(Reader& b, Reader& p) {
  IssueInvoice c;
  c.pair_id = p.text("pair");
  c.id = b.text("id");
  c.number = b.text("number");
  c.issue_date = b.date("issue_date");
  c.net_cents = b.cents("net_cents");
  c.vat_cents = b.cents("vat_cents");
  return c;
}

PayInvoice read_pay_invoice(Reader& b, Reader& p) {
  PayInvoice c;
  c.invoice_id = p.text("iid");
  c.paid_date = b.date("paid_date");
  c.amount_cents = b.cents("amount_cents");
  c.vat_cents = b.cents("vat_cents", false);
  return c;
}

CancelInvoice read_cancel_invoice(Reader& b, Reader& p) {
  CancelInvoice c;
  c.invoice_id = p.text("iid");
  c.reason = b.text("reason");
  return c;
}

IssueCreditNote read_issue_credit_note(Reader& b, Reader& p) {
  IssueCreditNote c;
  c.invoice_id = p.text("iid");
  c.id = b.text("id");
  c.amount_cents = b.cents("amount_cents");
  c.vat_cents = b.cents("vat_cents", false);
  c.reason = b.text("reason");
  return c;
}

ScheduleTour read_schedule_tour(Reader& b, Reader& p) {
  ScheduleTour c;
  c.programme_id = p.text("pid");
  c.id = b.text("id");
  c.region = b.text("region");
  c.host = b.text("host");
  c.start_date = b.date("start_date");
  c.end_date = b.date("end_date");
  c.topics = b.strings("topics", false);
  return c;
}

RegisterTourParticipant read_register_tour_participant(Reader& b, Reader& p) {
  RegisterTourParticipant c;
  c.tour_id = p.text("tid");
  c.kind = b.text("kind", false);
  c.mentee_id = b.text("mentee_id", c.kind.empty() || c.kind == "cluster_manager");
  c.participant_id = b.text("participant_id", false);
  c.name = b.text("name", false);
  c.organisation = b.text("organisation", false);
  c.country = b.text("country", false);
  return c;
}

CancelTourParticipant read_cancel_tour_participant(Reader& b, Reader& p) {
  CancelTourParticipant c;
  c.tour_id = p.text("tid");
  c.mentee_id = b.text("mentee_id", false);
  c.participant_id = b.text("participant_id", false);
  c.reason = b.text("reason");
  return c;
}

DiagnoseNeeds read_diagnose_needs(Reader& b, Reader& p) {
  DiagnoseNeeds c;
  c.mentee_id = p.text("mid");
  c.areas = b.strings("areas");
  c.note = b.text("note", false);
  return c;
}

// ---- control of spending
// The document's file name, type and size are the store's: Api::command
// fills them in from the hash.
AttachEvidence read_attach(Reader& b, std::string entity, std::string id) {
  AttachEvidence c;
  c.entity = std::move(entity);
  c.entity_id = std::move(id);
  c.sha256 = b.text("sha256", true, 64);
  c.kind = b.text("kind");
  c.note = b.text("note", false);
  return c;
}
AttachEvidence read_attach_invoice_evidence(Reader& b, Reader& p) { return read_attach(b, "invoice", p.text("iid")); }
AttachEvidence read_attach_pair_evidence(Reader& b, Reader& p) { return read_attach(b, "pair", p.text("pair")); }
AttachEvidence read_attach_session_evidence(Reader& b, Reader& p) {
  AttachEvidence c = read_attach(b, "session", p.text("pair"));
  c.session_id = p.text("sid");
  return c;
}
AttachEvidence read_attach_application_evidence(Reader& b, Reader& p) {
  return read_attach(b, "application", p.text("aid"));
}

RequestSample read_request_sample(Reader& b, Reader& p) {
  RequestSample c;
  c.programme_id = p.text("pid");
  c.id = b.text("id");
  c.population = b.text("population");
  c.method = b.text("method");
  c.size = b.integer("size");
  c.reason = b.text("reason", false);
  return c;
}
DrawSample read_draw_sample(Reader& /*b: no body fields*/, Reader& p) {
  return DrawSample{p.text("pid"), p.text("sid")};
}

VerifyExpenditure read_verify_expenditure(Reader& b, Reader& p) {
  VerifyExpenditure c;
  c.invoice_id = p.text("iid");
  c.certified_cents = b.cents("certified_cents");
  c.deducted_cents = b.cents("deducted_cents");
  c.error_type = b.text("error_type", false);
  c.note = b.text("note", false);
  c.sample_id = b.text("sample_id", false);
  return c;
}

RecordFinding read_record_finding(Reader& b, Reader& p) {
  RecordFinding c;
  c.programme_id = p.text("pid");
  c.id = b.text("id");
  c.source = b.text("source");
  c.invoice_id = b.text("invoice_id");
  c.positions = b.positions("positions");
  c.error_type = b.text("error_type");
  c.amount_cents = b.cents("amount_cents");
  c.description = b.text("description");
  return c;
}

ApplyCorrection read_apply_correction(Reader& b, Reader& p) {
  ApplyCorrection c;
  c.finding_id = p.text("fid");
  c.id = b.text("id");
  c.amount_cents = b.cents("amount_cents");
  c.reason = b.text("reason");
  return c;
}

template <class T, T (*Read)(Reader&, Reader&)>
Result<AnyCommand> parse_with(const json& params, const json& body) {
  static const json kEmpty = json::object();
  Reader b(body.is_null() ? kEmpty : body, "request body");
  Reader p(params.is_null() ? kEmpty : params, "path");
  T command = Read(b, p);
  PL_RETURN_IF_ERROR(p.finish());
  PL_RETURN_IF_ERROR(b.finish());
  return AnyCommand(std::move(command));
}

}  // namespace

Result<nlohmann::json> parse_json(std::string_view text) {
  // The keys of each object being read: a key given twice is refused, not
  // taken as its last value.
  std::vector<std::set<std::string>> keys;
  std::string twice;
  auto watch = [&](int, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) {
      keys.emplace_back();
    } else if (event == json::parse_event_t::object_end) {
      if (!keys.empty()) keys.pop_back();
    } else if (event == json::parse_event_t::key && !keys.empty()) {
      const auto& key = parsed.get_ref<const std::string&>();
      if (!keys.back().insert(key).second && twice.empty()) twice = key.substr(0, 100);
    }
    return true;
  };
  try {
    json parsed = json::parse(text.begin(), text.end(), watch);
    if (!twice.empty()) return Status::invalid("the body gives \"" + twice + "\" twice in one object");
    return parsed;
  } catch (const json::exception& e) {
    // parse_error, and also out_of_range for a number beyond a double
    // (1e999): found by fuzzing, it used to end the process.
    return Status::invalid(std::string("the body is not valid JSON: ") + e.what());
  }
}

Status unknown_evidence(const std::string& sha256) {
  return Status::rule("unknown_evidence", "no document with SHA-256 " + sha256.substr(0, 64) +
                                              " that you may read is stored: upload it first (POST /v1/evidence)");
}

Status complete_command(const Store& store, AnyCommand& command) {
  if (auto* finding = std::get_if<RecordFinding>(&command)) {
    // A finding names events of its own programme. (Positions past the head
    // are refused by the rules, with the range.)
    std::uint64_t head = store.head().position;
    for (std::uint64_t pos : finding->positions) {
      if (pos < 1 || pos > head) continue;
      auto stored = store.read_one(pos);
      if (!stored) return stored.status();
      std::string_view of = stored->view().programme_id();
      if (of != finding->programme_id)
        return Status::invalid("position " + std::to_string(pos) + " is an event of " +
                               (of.empty() ? std::string("no programme") : "programme '" + std::string(of) + "'") +
                               ", not of programme '" + finding->programme_id + "'");
    }
    return Status::ok();
  }
  auto* attach = std::get_if<AttachEvidence>(&command);
  if (!attach) return Status::ok();
  Hash sha{};
  if (attach->sha256.size() != 64 || !from_hex(attach->sha256, &sha))
    return Status::invalid("sha256 must be 64 lower-case hexadecimal digits");
  auto meta = store.evidence_meta(sha);
  if (!meta) {
    if (meta.status().is(Kind::not_found)) return unknown_evidence(attach->sha256);
    return meta.status();
  }
  attach->filename = meta->filename;
  attach->content_type = meta->content_type;
  attach->size = static_cast<std::int64_t>(meta->size);
  return Status::ok();
}

namespace commands {
const CommandSpec open_programme{"open_programme", &parse_with<OpenProgramme, read_open_programme>};
const CommandSpec amend_rules{"amend_rules", &parse_with<AmendRules, read_amend_rules>};
const CommandSpec close_programme{"close_programme", &parse_with<CloseProgramme, read_close_programme>};
const CommandSpec hold_joint_meeting{"hold_joint_meeting", &parse_with<HoldJointMeeting, read_hold_joint_meeting>};
const CommandSpec enrol_mentee{"enrol_mentee", &parse_with<EnrolMentee, read_enrol_mentee>};
const CommandSpec withdraw_mentee{"withdraw_mentee", &parse_with<WithdrawMentee, read_withdraw_mentee>};
const CommandSpec submit_application{"submit_application", &parse_with<SubmitApplication, read_submit_application>};
const CommandSpec accept_application{"accept_application", &parse_with<AcceptApplication, read_accept_application>};
const CommandSpec reject_application{"reject_application", &parse_with<RejectApplication, read_reject_application>};
const CommandSpec assign_pair{"assign_pair", &parse_with<AssignPair, read_assign_pair>};
const CommandSpec change_pair_period{"change_pair_period", &parse_with<ChangePairPeriod, read_change_pair_period>};
const CommandSpec log_session{"log_session", &parse_with<LogSession, read_log_session>};
const CommandSpec void_session{"void_session", &parse_with<VoidSession, read_void_session>};
const CommandSpec submit_report{"submit_report", &parse_with<SubmitReport, read_submit_report>};
const CommandSpec complete_pair{"complete_pair", &parse_with<CompletePair, read_complete_pair>};
const CommandSpec terminate_pair{"terminate_pair", &parse_with<TerminatePair, read_terminate_pair>};
const CommandSpec issue_invoice{"issue_invoice", &parse_with<IssueInvoice, read_issue_invoice>};
const CommandSpec pay_invoice{"pay_invoice", &parse_with<PayInvoice, read_pay_invoice>};
const CommandSpec cancel_invoice{"cancel_invoice", &parse_with<CancelInvoice, read_cancel_invoice>};
const CommandSpec issue_credit_note{"issue_credit_note", &parse_with<IssueCreditNote, read_issue_credit_note>};
const CommandSpec schedule_tour{"schedule_tour", &parse_with<ScheduleTour, read_schedule_tour>};
const CommandSpec register_tour_participant{"register_tour_participant",
                                            &parse_with<RegisterTourParticipant, read_register_tour_participant>};
const CommandSpec cancel_tour_participant{"cancel_tour_participant",
                                          &parse_with<CancelTourParticipant, read_cancel_tour_participant>};
const CommandSpec diagnose_needs{"diagnose_needs", &parse_with<DiagnoseNeeds, read_diagnose_needs>};
const CommandSpec attach_invoice_evidence{"attach_invoice_evidence",
                                          &parse_with<AttachEvidence, read_attach_invoice_evidence>};
const CommandSpec attach_pair_evidence{"attach_pair_evidence", &parse_with<AttachEvidence, read_attach_pair_evidence>};
const CommandSpec attach_session_evidence{"attach_session_evidence",
                                          &parse_with<AttachEvidence, read_attach_session_evidence>};
const CommandSpec attach_application_evidence{"attach_application_evidence",
                                              &parse_with<AttachEvidence, read_attach_application_evidence>};
const CommandSpec request_sample{"request_sample", &parse_with<RequestSample, read_request_sample>};
const CommandSpec draw_sample{"draw_sample", &parse_with<DrawSample, read_draw_sample>};
const CommandSpec verify_expenditure{"verify_expenditure", &parse_with<VerifyExpenditure, read_verify_expenditure>};
const CommandSpec record_finding{"record_finding", &parse_with<RecordFinding, read_record_finding>};
const CommandSpec apply_correction{"apply_correction", &parse_with<ApplyCorrection, read_apply_correction>};
}  // namespace commands

const std::vector<const CommandSpec*>& command_specs() {
  static const std::vector<const CommandSpec*> all = {
      &commands::open_programme,
      &commands::amend_rules,
      &commands::close_programme,
      &commands::hold_joint_meeting,
      &commands::enrol_mentee,
      &commands::withdraw_mentee,
      &commands::submit_application,
      &commands::accept_application,
      &commands::reject_application,
      &commands::assign_pair,
      &commands::change_pair_period,
      &commands::log_session,
      &commands::void_session,
      &commands::submit_report,
      &commands::complete_pair,
      &commands::terminate_pair,
      &commands::issue_invoice,
      &commands::pay_invoice,
      &commands::cancel_invoice,
      &commands::issue_credit_note,
      &commands::schedule_tour,
      &commands::register_tour_participant,
      &commands::cancel_tour_participant,
      &commands::diagnose_needs,
      &commands::attach_invoice_evidence,
      &commands::attach_pair_evidence,
      &commands::attach_session_evidence,
      &commands::attach_application_evidence,
      &commands::request_sample,
      &commands::draw_sample,
      &commands::verify_expenditure,
      &commands::record_finding,
      &commands::apply_correction,
  };
  return all;
}

const CommandSpec* find_command(std::string_view name) {
  for (const CommandSpec* c : command_specs())
    if (c->name == name) return c;
  return nullptr;
}

Result<AnyCommand> parse_command(std::string_view name, const json& params, const json& body) {
  const CommandSpec* c = find_command(name);
  if (!c) return Status::invalid("unknown command '" + std::string(name) + "'");
  return c->parse(params, body);
}

}  // namespace pl
