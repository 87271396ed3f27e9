// The route table: one row per endpoint of the HTTP API. The router
// (Api::handle), the OpenAPI document (http/openapi.h, docs/openapi.json)
// and the role tests are all derived from it, so none can name a route the
// others do not know. To find an endpoint, grep its path here: its row names
// the roles that may call it, the handler or command that answers it, and the
// schema of its answer.
//
// Internal to server/.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "http/api.h"
#include "http/json_commands.h"

namespace pl {

// Roles as bits of a set.
enum RoleBit : unsigned {
  kCoordinator = 1u << 0,
  kFinance = 1u << 1,
  kAuditor = 1u << 2,
  kMentor = 1u << 3,
  kController = 1u << 4,  // verifies spending: samples, verifications, findings
  kDpo = 1u << 5,         // the data protection officer: erases a person's data (docs/PRIVACY.md)
};
// Every role: the reads that are open to any token (mentors see their own).
inline constexpr unsigned kAnyRole = kCoordinator | kFinance | kAuditor | kMentor | kController | kDpo;
// No token asked for (health, metrics, the dashboard's files, the OpenAPI
// document).
inline constexpr unsigned kNoToken = 0;

// The bit of a role name; 0 for a name that is not a role.
unsigned role_bit(std::string_view role);
// The names of the roles in `roles`, in the order above.
std::vector<std::string> role_names(unsigned roles);

// How a route that admits mentors limits them.
enum class MentorLimit : std::uint8_t {
  // The route does not admit mentors, or gives them what it gives everyone.
  none,
  // The answer is cut to what belongs to the mentor: its pairs, their
  // mentees, invoices and events, its own application and budget lines.
  scoped,
  // The entity the path names ({pair}, {iid}, {mid}, {aid}, {stream}) must
  // belong to the mentor: 403 forbidden otherwise. Checked by the router's
  // plumbing before the handler runs, against the models the request reads.
  own,
};

// What a success answers with, besides JSON.
enum class Body : std::uint8_t {
  json,
  text,
  html,
  asset,
  event_stream,
  export_log,
  openapi,
  signed_note,
  tar,
  xlsx,
  document,  // an evidence document, as an attachment (its stored type)
};

struct Route {
  std::string_view method;     // GET or POST (GET also answers HEAD)
  std::string_view pattern;    // segments, {name} for a path parameter
  std::string_view operation;  // a unique name: the OpenAPI operationId
  std::string_view summary;    // one line, for the OpenAPI document
  std::string_view tag;        // the OpenAPI tag (the resource)
  unsigned roles = kNoToken;   // who may call it; kNoToken: no token needed
  MentorLimit mentor = MentorLimit::none;
  bool as_of = false;                    // answers ?as_of= and ?at= (else they are ignored)
  Api::Handler read = nullptr;           // a read's handler, or
  Api::Opener open = nullptr;            // a streamed route's opener, or
  const CommandSpec* command = nullptr;  // the command a POST runs
  std::string_view response;             // the schema of the success answer in the document's components
  Body body = Body::json;
  std::vector<std::string_view> query;     // the document's parameters beyond as_of/at
  std::vector<std::string> segments = {};  // `pattern` split at '/'; filled by route_table()
  // A POST whose body is read as a stream, up to `body_limit` bytes, and
  // handed to the handler piece by piece (Api::open_stream): the token and
  // the role are checked, and the handler sees the headers, before any of
  // the body is read. Answers 201.
  bool streamed = false;
  std::size_t body_limit = kMaxBodyBytes;

  int success() const { return command || streamed ? 201 : 200; }
};

// Every endpoint, grouped by resource. Built once; lives as long as the
// program. Thread-safe.
const std::vector<Route>& route_table();

// CamelCase of a command name and "Request": the schema of its body.
std::string request_schema(std::string_view command);

}  // namespace pl
