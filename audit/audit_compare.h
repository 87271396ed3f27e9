// How `ledger audit check` compares a pack's JSON (totals.json, evidence.json,
// the lines of events.ndjson) with what the events give, and what a pack of
// each format may lack (docs/AUDIT.md, "Formats"). Internal to audit_check.cc.
//
// A pack declares its format in totals.json ("pack_format"); a pack without
// one was written before packs declared it and is of format 1. Every key the
// events give must be in the pack, unless the pack's format is older than the
// key: a format-1 pack lacks the figures and fields added since (the VAT, the
// control of spending), and nothing else. A key the pack lacks that its
// format had is a failure, as is a key the events do not give.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "base/status.h"

namespace pl::audit {

// Whether a key the events give may be absent from the pack: the JSON pointer
// of the object that lacks it, and the key.
using MayLack = std::function<bool(const std::string& object, const std::string& key)>;

// Nothing may be absent.
bool lacks_nothing(const std::string& object, const std::string& key);
// What totals.json of a pack of `format` may lack.
MayLack totals_may_lack(int format);
// What a line of events.ndjson of a pack of `format` may lack, for an event
// of `type` (its type name, "InvoicePaid").
MayLack ndjson_may_lack(int format, std::string_view type);

// The format a parsed totals.json declares: 1 without "pack_format";
// invalid_argument for a declaration that is not a format (not an integer,
// or below 2: format 1 is never declared). A format above kPackFormat is
// returned as declared: the caller refuses it.
Result<int> declared_format(const nlohmann::json& totals);

// A JSON value for a message, cut when long.
std::string shown(const nlohmann::json& j);

// The first place where `got` (from the pack) differs from `want` (from the
// events), as a JSON pointer and a sentence; counts the leaves that agree,
// and in `absent` the keys the pack lacks that `may_lack` allows.
bool first_difference(const nlohmann::json& got, const nlohmann::json& want, const MayLack& may_lack,
                      const std::string& path, std::string* where, std::string* what, std::uint64_t* leaves,
                      std::uint64_t* absent);

// A file or line of the pack as JSON: not JSON, or nested deeper than 64
// levels (first_difference recurses), is refused.
Result<nlohmann::json> pack_json(std::string_view text);

}  // namespace pl::audit
