// JSON to commands: the request bodies of API.md, checked field by field.
//
// A body that is not what API.md names (a missing field, a wrong type, an
// unknown field or enum value, an integer beyond 64 bits, an impossible date,
// an instant without offset) is refused with bad_request and a sentence that
// names the field; nothing reaches the writer.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "ledger/commands.h"

namespace pl {

// `name` is one of command_names(); `params` holds the ids taken from the
// path (pid, aid, pair, sid, iid, tid, mid), `body` the request body.
Result<AnyCommand> parse_command(std::string_view name, const nlohmann::json& params, const nlohmann::json& body);

// The command names parse_command knows.
const std::vector<std::string>& command_names();

// Parses text as JSON (UTF-8 checked); bad_request with the position if not.
Result<nlohmann::json> parse_json(std::string_view text);

}  // namespace pl
