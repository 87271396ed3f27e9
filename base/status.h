// Status and Result<T>: how every layer reports an expected failure.
//
// A Status is either ok or carries a kind (what sort of failure, used to map
// to transport errors), a reason (a stable snake_case code for machines, such
// as "hour_cap_exceeded") and a message (a sentence for people, with the
// figures). Both types are [[nodiscard]]: ignoring one is a warning (an
// error under -Werror); dropping one on purpose is spelled
// `(void)status.ignore()`.
//
// Thread safety: values, like std::string: const methods may be called from
// several threads at once; anything else needs external synchronization.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace pl {

enum class Kind : std::uint8_t {
  ok = 0,
  invalid_argument = 1,  // malformed input
  not_found = 2,         // an unknown entity
  conflict = 3,          // duplicate, idempotency key reused, version conflict
  rule = 4,              // a programme rule refused the command
  corruption = 5,        // stored bytes are not what the ledger wrote
  io_error = 6,          // the storage failed; nothing was acknowledged
  unavailable = 7,       // shutting down, or the writer is not running
  internal = 8,          // a broken invariant
  forbidden = 9,         // the caller may not do this (four eyes: it recorded what it would check)
};

// The kind's name ("not_found"); "unknown" for a value outside the enum.
std::string_view kind_name(Kind k);

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status ok() { return Status(); }
  static Status make(Kind kind, std::string reason, std::string message) {
    return Status(kind, std::move(reason), std::move(message));
  }
  static Status invalid(std::string message) { return make(Kind::invalid_argument, "bad_request", std::move(message)); }
  static Status not_found(std::string message) { return make(Kind::not_found, "not_found", std::move(message)); }
  static Status conflict(std::string reason, std::string message) {
    return make(Kind::conflict, std::move(reason), std::move(message));
  }
  static Status rule(std::string reason, std::string message) {
    return make(Kind::rule, std::move(reason), std::move(message));
  }
  static Status corruption(std::string message) { return make(Kind::corruption, "corruption", std::move(message)); }
  static Status io_error(std::string message) { return make(Kind::io_error, "storage_error", std::move(message)); }
  static Status unavailable(std::string message) { return make(Kind::unavailable, "unavailable", std::move(message)); }
  static Status internal(std::string message) { return make(Kind::internal, "internal", std::move(message)); }
  static Status forbidden(std::string reason, std::string message) {
    return make(Kind::forbidden, std::move(reason), std::move(message));
  }

  bool is_ok() const { return kind_ == Kind::ok; }
  explicit operator bool() const { return is_ok(); }
  Kind kind() const { return kind_; }
  bool is(Kind k) const { return kind_ == k; }
  // Stable machine code, e.g. "version_conflict"; empty when ok.
  const std::string& reason() const { return reason_; }
  // A sentence for people; empty when ok.
  const std::string& message() const { return message_; }
  // "ok", or "<kind> (<reason>): <message>", for logs.
  std::string to_string() const;
  // Explicitly drops the status.
  void ignore() const {}

 private:
  Status(Kind kind, std::string reason, std::string message)
      : kind_(kind), reason_(std::move(reason)), message_(std::move(message)) {}
  Kind kind_ = Kind::ok;
  std::string reason_;
  std::string message_;
};

// A value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  // REQUIRES: !status.is_ok(). A Result made from an ok Status holds no
  // value and is not ok.
  Result(Status status) : v_(std::move(status)) {}  // NOLINT(google-explicit-constructor)

  bool is_ok() const { return v_.index() == 0; }
  explicit operator bool() const { return is_ok(); }
  // The value. REQUIRES: is_ok() (otherwise std::bad_variant_access is
  // thrown); the same for ->, * and the rvalue overload, which moves it out.
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  // A copy of the value, or `fallback` when there is none.
  T value_or(T fallback) const { return is_ok() ? value() : fallback; }
  // The failure; an ok Status when a value is held.
  Status status() const { return is_ok() ? Status::ok() : std::get<1>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace pl

#define PL_RETURN_IF_ERROR(expr)                \
  do {                                          \
    ::pl::Status pl_status_ = (expr);           \
    if (!pl_status_.is_ok()) return pl_status_; \
  } while (0)
