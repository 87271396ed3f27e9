#include "http/openapi.h"

#include <map>
#include <string>

#include "base/refusals.h"
#include "http/route_table.h"
#include "render/budget_xlsx.h"

namespace pl {

extern const char* const kOpenApiBase;

namespace {

using json = nlohmann::ordered_json;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& ch : out) ch = static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
  return out;
}

json component_ref(const std::string& where) { return {{"$ref", "#/components/" + where}}; }

json path_parameter(const std::string& name) {
  static const std::map<std::string, std::string> kWhat = {
      {"pid", "A programme's id"},
      {"mid", "A mentee's id"},
      {"aid", "An application's id"},
      {"pair", "A pair's id"},
      {"sid", "A session's id"},
      {"iid", "An invoice's id"},
      {"tid", "A tour's id"},
      {"stream", "A stream's name, as pair-p01"},
      {"sha256", "A document's SHA-256: 64 lower-case hexadecimal digits"},
      {"file", "A file of the dashboard"},
      {"subject", "A person's subject id, as mentee:intaj or staff:3f9c0a1b2c3d4e5f6071 (docs/PRIVACY.md)"}};
  auto it = kWhat.find(name);
  return {{"name", name},
          {"in", "path"},
          {"required", true},
          {"description", it == kWhat.end() ? name : it->second},
          {"schema", {{"type", "string"}}}};
}

json text_content(std::initializer_list<const char*> types) {
  json out = json::object();
  for (const char* t : types) out[t] = {{"schema", {{"type", "string"}}}};
  return out;
}

// The types an evidence document may have, as bytes.
json document_content() {
  json out = json::object();
  for (const char* t : {"application/pdf", "image/png", "image/jpeg", "text/plain"})
    out[t]["schema"] = {{"type", "string"}, {"contentMediaType", t}};
  return out;
}

json success(const Route& r) {
  json out = {{"description", r.command    ? "Recorded: the events the command wrote"
                              : r.streamed ? "Stored"
                                           : std::string(r.summary)}};
  switch (r.body) {
    case Body::json:
      out["content"]["application/json"]["schema"] = component_ref("schemas/" + std::string(r.response));
      break;
    case Body::text:
      out["content"] = text_content({"text/plain"});
      break;
    case Body::tar:
      out["content"]["application/x-tar"]["schema"] = {{"type", "string"}, {"contentMediaType", "application/x-tar"}};
      break;
    case Body::xlsx:
      out["content"][kXlsxContentType]["schema"] = component_ref("schemas/" + std::string(r.response));
      out["headers"]["Content-Disposition"] = {
          {"description", "attachment, with a file name: `attachment; filename=\"<pid>-budget.xlsx\"`"},
          {"schema", {{"type", "string"}}}};
      break;
    case Body::signed_note:
      out["content"] = text_content({"text/plain; charset=utf-8"});
      break;
    case Body::html:
      out["content"] = text_content({"text/html"});
      break;
    case Body::asset:
      out["content"] = text_content({"text/html", "text/javascript", "text/css", "image/svg+xml", "image/png"});
      break;
    case Body::event_stream:
      out["content"] = text_content({"text/event-stream"});
      break;
    case Body::export_log:
      out["content"] = text_content({"application/x-ndjson", "text/csv"});
      break;
    case Body::openapi:
      out["content"]["application/json"]["schema"] = {{"type", "object"}};
      break;
    case Body::document:
      out["content"] = document_content();
      for (const char* h : {"Content-Disposition", "X-Content-Type-Options", "Content-Security-Policy"})
        out["headers"][h] = component_ref(std::string("headers/") + h);
      break;
  }
  if (r.command)
    out["headers"]["Idempotent-Replayed"] = {
        {"description", "true when the answer is the one recorded for this Idempotency-Key"},
        {"schema", {{"type", "string"}, {"enum", {"true"}}}}};
  return out;
}

json operation(const Route& r) {
  json op = {{"operationId", r.operation}, {"summary", r.summary}, {"tags", {r.tag}}};
  if (r.roles == kNoToken) {
    op["security"] = json::array();
  } else {
    op["x-roles"] = role_names(r.roles);
    if (r.roles & kMentor) op["x-mentor"] = r.mentor == MentorLimit::own ? "own" : "scoped";
  }
  json params = json::array();
  if (r.as_of) {
    params.push_back(component_ref("parameters/as_of"));
    params.push_back(component_ref("parameters/at"));
  }
  for (std::string_view q : r.query) params.push_back(component_ref("parameters/" + std::string(q)));
  if (r.command) {
    params.push_back(component_ref("parameters/idempotency_key"));
    params.push_back(component_ref("parameters/if_match"));
    // An empty body reads as {}: only a command without fields can do with one.
    op["requestBody"]["required"] = r.command != &commands::complete_pair && r.command != &commands::draw_sample;
    op["requestBody"]["content"]["application/json"]["schema"] =
        component_ref("schemas/" + request_schema(r.command->name));
  }
  if (r.streamed) {
    params.push_back(component_ref("parameters/x_filename"));
    op["requestBody"]["required"] = true;
    op["requestBody"]["description"] =
        "The document's bytes (at most " + std::to_string(r.body_limit >> 20) +
        " MiB), which must match the Content-Type: a PDF starts with %PDF-, a PNG and a JPEG with their "
        "signatures, text is UTF-8 without NUL";
    op["requestBody"]["content"] = document_content();
  }
  if (!params.empty()) op["parameters"] = params;

  json& res = op["responses"];
  res[std::to_string(r.success())] = success(r);
  res["400"] = component_ref("responses/Error400");
  bool names_entity = false;
  for (const std::string& s : r.segments) names_entity |= !s.empty() && s.front() == '{';
  if (r.roles != kNoToken) {
    res["401"] = component_ref("responses/Error401");
    res["403"] = component_ref("responses/Error403");
  }
  if (names_entity) res["404"] = component_ref("responses/Error404");
  if (r.command) {
    res["409"] = component_ref("responses/Error409");
    res["413"] = component_ref("responses/Error413");
    res["422"] = component_ref("responses/Error422");
  }
  if (r.streamed) {
    res["409"] = component_ref("responses/Error409");
    res["413"] = component_ref("responses/Error413");
    res["408"] = component_ref("responses/Error408");
    res["415"] = component_ref("responses/Error415");
    res["422"] = component_ref("responses/Error422");
    res["429"] = component_ref("responses/Error429");
    res["507"] = component_ref("responses/Error507");
  }
  // Corruption found on a read, or an internal fault: any route of the API.
  if (r.roles != kNoToken) res["500"] = component_ref("responses/Error500");
  if (r.operation == "healthz") {
    res["503"] = {{"description", "The ledger needs a look: a read or a verify failed"},
                  {"content", {{"application/json", {{"schema", component_ref("schemas/Health")}}}}}};
  } else if (r.roles != kNoToken) {
    res["503"] = component_ref("responses/Error503");
  }
  res["default"] = component_ref("responses/Error");
  return op;
}

json make_document() {
  json base = json::parse(kOpenApiBase);
  json doc = {{"openapi", "3.1.0"},
              {"info", base.at("info")},
              {"servers", {{{"url", "http://127.0.0.1:8080"}}}},
              {"security", {{{"bearer", json::array()}}}},
              {"tags", base.at("tags")},
              {"paths", json::object()},
              {"components", base.at("components")}};
  // The codes, from their one list (base/refusals.h).
  json codes = json::array();
  std::string rules;
  for (const RefusalInfo& r : refusals()) {
    if (r.http_status != 0) codes.push_back(r.code);
    if (r.http_status == 422 && r.refusal != Refusal::content_mismatch)
      rules += (rules.empty() ? "`" : ", `") + std::string(r.code) + "`";
  }
  doc["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]["enum"] = codes;
  doc["components"]["responses"]["Error422"]["description"] =
      "A programme rule refused the command; nothing was written. The code names the rule: " + rules +
      "; or `content_mismatch` (a document's bytes are not of the type it is declared as).";
  for (const Route& r : route_table()) {
    json& item = doc["paths"][std::string(r.pattern)];
    if (!item.contains("parameters")) {
      json params = json::array();
      for (const std::string& s : r.segments)
        if (s.size() > 2 && s.front() == '{') params.push_back(path_parameter(s.substr(1, s.size() - 2)));
      if (!params.empty()) item["parameters"] = params;
    }
    item[lower(r.method)] = operation(r);
  }
  return doc;
}

}  // namespace

const nlohmann::ordered_json& openapi_document() {
  static const json doc = make_document();
  return doc;
}

}  // namespace pl
