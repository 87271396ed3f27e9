// The answers every handler gives: JSON, a text already written, an error
// in the API's shape; and the small readers of a request's target.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "base/status.h"
#include "http/message.h"

namespace pl {

// The HTTP status of a failure kind (400, 404, 409, 422, 500, 503).
int http_status(const Status& st);
HttpResponse json_response(int status, const nlohmann::json& body);
// An answer whose JSON text is already written.
HttpResponse text_response(int status, std::string body);
// {"error": {"code", "message", "details"}}; a 503 busy also carries
// Retry-After: kBusyRetryAfter (seconds).
inline constexpr const char* kBusyRetryAfter = "5";
HttpResponse error_response(int status, const std::string& code, const std::string& message,
                            nlohmann::json details = nlohmann::json::object());
HttpResponse error_response(const Status& st);
// Percent-decoding; false on a malformed escape.
bool url_decode(std::string_view in, std::string* out, bool plus_is_space);
// A decimal whole number of at most 19 digits; false otherwise.
bool parse_u64(const std::string& s, std::uint64_t* out);

}  // namespace pl
