// Comparing a pack's JSON with what the events give (audit_compare.h).
#include "audit/audit_compare.h"

#include <algorithm>
#include <array>

#include "audit/audit_pack.h"

namespace pl::audit {

using nlohmann::json;

namespace {

// Format 1, the packs written before packs declared their format (up to
// the ledger of 2026-12-07): what the ledger has added to totals.json since
// the first pack. Each is a key name wherever it appears (the budget's
// totals, its rows and their explain lists; the rules of a programme; a
// pair).
constexpr std::array<std::string_view, 16> kTotalsAddedAfter1 = {
    // the VAT and the co-funded share of the eligible cost
    "vat_invoiced_cents", "vat_credited_cents", "vat_paid_cents", "vat_outstanding_cents", "eligible_cents",
    "vat_eligible",
    // the control of spending: verification, corrections, evidence, retention
    "verified_cents", "certified_cents", "deducted_cents", "corrected_cents", "certified_eu_share_cents",
    "evidence_required", "retention_years", "last_payment_date", "retain_until",
    // a pair's topics outside the offer or the needs
    "override_reason"};

// Format 1: the fields of events' data added to the schema since the first
// pack (schemas/events.fbs), by event type, as JSON pointers in a line.
struct Added {
  std::string_view type;
  std::string_view pointer;
};
constexpr std::array<Added, 15> kNdjsonAddedAfter1 = {{
    {"InvoicePaid", "/data/vat_cents"},
    {"CreditNoteIssued", "/data/vat_cents"},
    {"PairAssigned", "/data/override_reason"},
    {"TourParticipantRegistered", "/data/kind"},
    {"TourParticipantRegistered", "/data/participant_id"},
    {"TourParticipantRegistered", "/data/name"},
    {"TourParticipantRegistered", "/data/organisation"},
    {"TourParticipantRegistered", "/data/country"},
    {"TourParticipantCancelled", "/data/participant_id"},
    {"ProgrammeOpened", "/data/rules/vat_eligible"},
    {"ProgrammeOpened", "/data/rules/evidence_required"},
    {"ProgrammeOpened", "/data/rules/retention_years"},
    {"ProgrammeRulesAmended", "/data/rules/vat_eligible"},
    {"ProgrammeRulesAmended", "/data/rules/evidence_required"},
    {"ProgrammeRulesAmended", "/data/rules/retention_years"},
}};

std::string pointer_token(const std::string& key) {
  std::string out;
  for (char c : key) out += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
  return out;
}

// A pack's JSON is compared by recursion (first_difference): nesting deeper
// than this is refused before it is parsed.
constexpr int kMaxJsonDepth = 64;

// Whether `text` nests arrays and objects deeper than `max` (strings skipped).
bool nests_deeper(std::string_view text, int max) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

}  // namespace

bool lacks_nothing(const std::string&, const std::string&) { return false; }

MayLack totals_may_lack(int format) {
  if (format >= 2) return lacks_nothing;
  return [](const std::string&, const std::string& key) {
    return std::find(kTotalsAddedAfter1.begin(), kTotalsAddedAfter1.end(), key) != kTotalsAddedAfter1.end();
  };
}

MayLack ndjson_may_lack(int format, std::string_view type) {
  if (format >= 2) return lacks_nothing;
  return [type = std::string(type)](const std::string& object, const std::string& key) {
    std::string pointer = object + "/" + pointer_token(key);
    return std::any_of(kNdjsonAddedAfter1.begin(), kNdjsonAddedAfter1.end(),
                       [&](const Added& a) { return a.type == type && a.pointer == pointer; });
  };
}

Result<int> declared_format(const json& totals) {
  auto it = totals.find("pack_format");
  if (it == totals.end()) return 1;
  if (!it->is_number_unsigned() || it->get<std::uint64_t>() < 2 || it->get<std::uint64_t>() > 1'000'000)
    return Status::invalid("pack_format is " + shown(*it) +
                           ": a format is a whole number from 2 (a pack without one is of format 1)");
  return static_cast<int>(it->get<std::uint64_t>());
}

std::string shown(const json& j) {
  std::string s = j.dump(-1, ' ', false, json::error_handler_t::replace);
  return s.size() > 160 ? s.substr(0, 160) + "..." : s;
}

bool first_difference(const json& got, const json& want, const MayLack& may_lack, const std::string& path,
                      std::string* where, std::string* what, std::uint64_t* leaves, std::uint64_t* absent) {
  auto differ = [&](std::string sentence) {
    *where = path.empty() ? "/" : path;
    *what = std::move(sentence);
    return true;
  };
  if (got.type() != want.type() && !(got.is_number() && want.is_number()))
    return differ("the pack has " + shown(got) + ", the events give " + shown(want));
  if (want.is_object()) {
    for (auto& [key, value] : want.items()) {
      auto it = got.find(key);
      if (it == got.end()) {
        if (may_lack(path, key)) {
          ++*absent;
          continue;
        }
        *where = path + "/" + pointer_token(key);
        *what = "missing; the events give " + shown(value);
        return true;
      }
      if (first_difference(*it, value, may_lack, path + "/" + pointer_token(key), where, what, leaves, absent))
        return true;
    }
    for (auto& [key, value] : got.items())
      if (!want.contains(key)) {
        *where = path + "/" + pointer_token(key);
        *what = "the pack has " + shown(value) + ", which the events do not give";
        return true;
      }
    return false;
  }
  if (want.is_array()) {
    std::size_t n = std::min(got.size(), want.size());
    for (std::size_t i = 0; i < n; ++i)
      if (first_difference(got[i], want[i], may_lack, path + "/" + std::to_string(i), where, what, leaves, absent))
        return true;
    if (got.size() != want.size())
      return differ("the pack has " + std::to_string(got.size()) + " entries, the events give " +
                    std::to_string(want.size()));
    return false;
  }
  if (got != want) return differ("the pack has " + shown(got) + ", the events give " + shown(want));
  ++*leaves;
  return false;
}

Result<json> pack_json(std::string_view text) {
  if (nests_deeper(text, kMaxJsonDepth))
    return Status::invalid("JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return Status::invalid("not JSON");
  return j;
}

}  // namespace pl::audit
