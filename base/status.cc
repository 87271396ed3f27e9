#include "base/status.h"

namespace pl {

std::string_view kind_name(Kind k) {
  switch (k) {
    case Kind::ok:
      return "ok";
    case Kind::invalid_argument:
      return "invalid_argument";
    case Kind::not_found:
      return "not_found";
    case Kind::conflict:
      return "conflict";
    case Kind::rule:
      return "rule";
    case Kind::corruption:
      return "corruption";
    case Kind::io_error:
      return "io_error";
    case Kind::unavailable:
      return "unavailable";
    case Kind::internal:
      return "internal";
    case Kind::forbidden:
      return "forbidden";
  }
  return "unknown";
}

std::string Status::to_string() const {
  if (is_ok()) return "ok";
  std::string s(kind_name(kind_));
  s += " (";
  s += reason_;
  s += "): ";
  s += message_;
  return s;
}

}  // namespace pl
