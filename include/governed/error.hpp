#pragma once
/// @file
/// `governed::Error`: what every fallible operation returns instead of throwing.

#include <governed/time.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace governed {

/// Why an operation failed. Stable: callers switch on it; the message is for people.
enum class Errc {
  invalid_argument,   ///< a configuration or call argument that can never work
  exceeds_capacity,   ///< more cells than the limit ever admits (its published limit): no wait would help
  too_far_ahead,      ///< a reservation would land further ahead than the limiter tracks
  queue_full,         ///< the wait queue of a limit set is full
  all_rate_limited,   ///< every candidate is cooling down; `retry_after` says for how long
  budget_exhausted,   ///< a task, token or spend budget is used up
  parse_error,        ///< malformed input (a body, a header, a file)
  io_error,           ///< the operating system refused (files, sockets)
  rejected,           ///< the provider refused the request itself (bad request, content policy)
  timed_out,          ///< the call's deadline passed before it could be answered
  cancelled,          ///< the caller cancelled the call
  /// No candidate's model can carry what the call needs (tools, documents, a strict schema …):
  /// each was skipped unsent; the message names each model and what it lacks
  unsupported,
};

/// The name of an error code, for logs and JSON.
constexpr std::string_view to_string(Errc e) noexcept {
  switch (e) {
    case Errc::invalid_argument: return "invalid_argument";
    case Errc::exceeds_capacity: return "exceeds_capacity";
    case Errc::too_far_ahead: return "too_far_ahead";
    case Errc::queue_full: return "queue_full";
    case Errc::all_rate_limited: return "all_rate_limited";
    case Errc::budget_exhausted: return "budget_exhausted";
    case Errc::parse_error: return "parse_error";
    case Errc::io_error: return "io_error";
    case Errc::rejected: return "rejected";
    case Errc::timed_out: return "timed_out";
    case Errc::cancelled: return "cancelled";
    case Errc::unsupported: return "unsupported";
  }
  return "unknown";
}

/// An error value. The message is user-facing and never contains a secret.
struct Error {
  Errc code;
  std::string message;
  /// When trying again could succeed: the earliest sensible time, from now.
  std::optional<Duration> retry_after{};

  friend bool operator==(const Error&, const Error&) = default;
};

}  // namespace governed
