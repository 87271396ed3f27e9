#include "http/responses.h"

#include "render/views_json.h"

namespace pl {

using nlohmann::json;

int http_status(const Status& st) {
  switch (st.kind()) {
    case Kind::ok:
      return 200;
    case Kind::invalid_argument:
      return 400;
    case Kind::not_found:
      return 404;
    case Kind::conflict:
      return 409;
    case Kind::rule:
      return 422;
    case Kind::forbidden:
      return 403;
    case Kind::io_error:
    case Kind::unavailable:
      return 503;
    case Kind::corruption:
    case Kind::internal:
      return 500;
  }
  return 500;
}

HttpResponse json_response(int status, const json& body) {
  HttpResponse r;
  r.status = status;
  r.body = text_of(body);
  return r;
}

HttpResponse text_response(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

HttpResponse error_response(int status, const std::string& code, const std::string& message, json details) {
  HttpResponse r =
      json_response(status, {{"error", {{"code", code}, {"message", message}, {"details", std::move(details)}}}});
  // Every 503 busy says when to come back (RFC 9110 §10.2.3), as a full
  // live feed does.
  if (status == 503 && code == "busy") r.headers.emplace_back("Retry-After", kBusyRetryAfter);
  return r;
}

HttpResponse error_response(const Status& st) { return error_response(http_status(st), st.reason(), st.message()); }

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding; false on a malformed escape.
bool url_decode(std::string_view in, std::string* out, bool plus_is_space) {
  out->clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      int h = hexval(in[i + 1]), l = hexval(in[i + 2]);
      if (h < 0 || l < 0) return false;
      out->push_back(static_cast<char>(h * 16 + l));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out->push_back(' ');
    } else {
      out->push_back(c);
    }
  }
  return true;
}

bool parse_u64(const std::string& s, std::uint64_t* out) {
  if (s.empty() || s.size() > 19) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  *out = v;
  return true;
}

}  // namespace pl
