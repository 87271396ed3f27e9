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

#include "domain/commands.h"
#include "log/store.h"

namespace pl {

// One command of the API: its name (as demo scripts and metrics spell it)
// and its reader, which turns the ids taken from the path (pid, aid, pair,
// sid, iid, tid, mid) and the request body into the command, or refuses them
// with bad_request (or too_long) naming the field. Stateless; safe to call
// from any thread.
struct CommandSpec {
  std::string_view name;
  Result<AnyCommand> (*parse)(const nlohmann::json& params, const nlohmann::json& body);
};

// Every command the API takes, one constant each: the route table names
// them, so a route reaches its reader without a lookup by name.
namespace commands {
extern const CommandSpec open_programme, amend_rules, close_programme, hold_joint_meeting, enrol_mentee,
    withdraw_mentee, submit_application, accept_application, reject_application, assign_pair, change_pair_period,
    log_session, void_session, submit_report, complete_pair, terminate_pair, issue_invoice, pay_invoice, cancel_invoice,
    issue_credit_note, schedule_tour, register_tour_participant, cancel_tour_participant, diagnose_needs,
    attach_invoice_evidence, attach_pair_evidence, attach_session_evidence, attach_application_evidence, request_sample,
    draw_sample, verify_expenditure, record_finding, apply_correction, erase_subject;
}  // namespace commands

// All of the above, in API.md's order. The pointers live as long as the program.
const std::vector<const CommandSpec*>& command_specs();

// The command called `name`, or nullptr.
const CommandSpec* find_command(std::string_view name);

// find_command(name)->parse(params, body); bad_request for an unknown name.
// For callers that hold a name as data (demo scripts).
Result<AnyCommand> parse_command(std::string_view name, const nlohmann::json& params, const nlohmann::json& body);

// Parses text as JSON (UTF-8 checked); bad_request with the position if not.
Result<nlohmann::json> parse_json(std::string_view text);

// What a command takes from the store rather than from its body: an
// attachment's file name, type and size, from the record of the document its
// sha256 names (422 unknown_evidence when the store holds none). A document
// is durable before its hash is answered and never deleted, so what is found
// here is still there when the writer decides. A finding's positions must be
// events of its programme (400 otherwise). Other commands are left as they are.
Status complete_command(const Store& store, AnyCommand& command);
// 422 unknown_evidence: the same answer for a hash not stored and for a
// document the caller may not read, so that neither tells of the other.
Status unknown_evidence(const std::string& sha256);

}  // namespace pl
