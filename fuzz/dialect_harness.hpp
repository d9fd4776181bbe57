#pragma once
// The harness of the dialect_<home> targets, one for each home of include/governed/dialect/:
// each fuzzes every reader its home has — of provider replies, and of the requests a provider
// (governed-sim, a gateway) receives — so one build and one run cover them all. Byte 0 of an
// input picks the reader (its value modulo 4), the rest is the reader's:
//   0  a successful reply's body: the home's one-pass decode_completion must read the same
//      completion — every choice with its tool calls, refusal, reasoning and finish, the usage,
//      the id — as the document readers (dialect/answer_json.hpp), or both refuse — a body
//      nested past the limits included, which neither may recurse on;
//   1  a streamed reply: byte 1 seeds the piece sizes, the rest is the stream, read by
//      dialect::StreamReader as transport::http reads it (what must hold: stream_reader.hpp);
//   2  an error body: byte 1 picks the route (provider and its home's decode_error), byte 2
//      the status (400 to 599), the rest is the body. decode_error never throws, and the
//      verdict the classifier gives on what it read has a usable wait and a message without
//      the key;
//   3  a request body: dialect::decode_request on the home's fixed route either refuses it
//      with a message, or reads it; what it read, encoded again by the home's encode_request
//      (what governed sends) and read back on the route of the target it wrote, is the same
//      call — as far as the home carries it (`carried`).

#include "stream_reader.hpp"

#include <governed/dialect/answer_json.hpp>
#include <governed/dialect/error.hpp>
#include <governed/dialect/request.hpp>
#include <governed/dialect/route.hpp>
#include <governed/json_limits.hpp>
#include <governed/providers/classify.hpp>
#include <governed/providers/completion.hpp>
#include <governed/providers/error_body.hpp>
#include <governed/providers/table.hpp>
#include <governed/providers/usage.hpp>
#include <governed/request.hpp>
#include <governed/result.hpp>

#include <cstdint>
#include <exception>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dialect_fuzz {

namespace gp = governed::providers;
namespace gd = governed::dialect;

/// A provider whose errors the home reads, and the home's reader for them.
struct ErrorRoute {
  std::string_view provider;
  gp::Dialect dialect;
  gp::ErrorBody (*decode_error)(std::string_view, const governed::JsonLimits&);
};

/// One home: its dialect, its reader of successful replies and the routes of its errors.
struct Home {
  gp::Dialect dialect;
  std::string_view provider;
  governed::Result<gp::Completion> (*decode_completion)(std::string_view, const governed::JsonLimits&);
  std::span<const ErrorRoute> errors;
  /// The request target the request selector reads bodies on, and the base URL its encoder
  /// writes them for: the home's own API (OpenAI's, Anthropic's, Gemini's).
  std::string_view request_target{};
  std::string_view base_url{};
};

inline void check_completion(const Home& home, std::string_view body) {
  const auto doc = governed::parse_json(body, governed::JsonLimits{}, "the reply body");
  const auto one_pass = home.decode_completion(body, governed::JsonLimits{});
  if (one_pass.has_value() != doc.has_value()) __builtin_trap();
  if (!one_pass) return;
  // The whole completion: every choice's text, tool calls, refusal, reasoning and finish, the
  // usage and the id.
  if (!(*one_pass == gd::completion_from_json(home.dialect, *doc))) __builtin_trap();
}

inline void check_error(const Home& home, std::string_view input) {
  if (input.size() < 2 || home.errors.empty()) return;
  const ErrorRoute& route = home.errors[static_cast<std::uint8_t>(input[0]) % home.errors.size()];
  const int status = 400 + static_cast<std::uint8_t>(input[1]) % 200;
  const std::string_view body = input.substr(2);
  gp::ErrorBody read;
  try {
    read = route.decode_error(body, gd::error_body_limits);
  } catch (...) {
    __builtin_trap();  // an error body is read by the classifier on the call path: never throws
  }
  const gp::Provider* provider = gp::find_provider(gp::builtin_table(), route.provider);
  const governed::WallTime now{std::chrono::seconds{1'711'483'199}};
  const auto v = gp::classify(provider, route.dialect, status, gp::HeaderView{}, read, now);
  if (v.wait && (*v.wait < governed::Duration::zero() || *v.wait > gp::max_usable_wait)) __builtin_trap();
  static const std::vector<std::string> keys{"configured-key-0001"};
  const std::string m = gp::describe(v, route.provider, "model", keys);
  if (m.find("configured-key-0001") != std::string::npos) __builtin_trap();
}

/// What a home's encoder carries of a body its decoder read, so that reading what it wrote
/// gives exactly this. `RequestBody` holds only what the encoders write (model, messages, output
/// limit, choices, stream), so a field the decoder dropped (temperature, tools, a part's
/// shape: a content is its text) is compared by its absence. Beyond that the homes normalise:
///   - chat completions (OpenAI, Azure): every message as read; a stream always asks for the
///     usage (`stream_options.include_usage`), so it is asked for whenever the call streams;
///   - Anthropic messages and Gemini: the system messages, wherever they stood, become the one
///     system prompt, joined with a blank line as the encoders join them (none when that is
///     empty), and every other role is `user` unless it is `assistant`.
inline gd::RequestBody carried(gp::Dialect d, gd::RequestBody read) {
  if (gd::format_of(d) == gd::Format::openai || gd::format_of(d) == gd::Format::azure) {
    read.include_usage = read.stream;
    return read;
  }
  std::string system;
  std::vector<std::string> roles, contents;
  for (std::size_t i = 0; i < read.roles.size(); ++i) {
    if (read.roles[i] == "system") {
      if (!system.empty()) system += "\n\n";
      system += read.contents[i];
      continue;
    }
    roles.push_back(read.roles[i] == "assistant" ? "assistant" : "user");
    contents.push_back(std::move(read.contents[i]));
  }
  if (!system.empty()) {
    roles.insert(roles.begin(), "system");
    contents.insert(contents.begin(), std::move(system));
  }
  read.roles = std::move(roles);
  read.contents = std::move(contents);
  return read;
}

inline bool same_call(const gd::RequestBody& a, const gd::RequestBody& b) {
  return a.model == b.model && a.roles == b.roles && a.contents == b.contents && a.max_tokens == b.max_tokens &&
         a.n == b.n && a.stream == b.stream && a.include_usage == b.include_usage;
}

/// Whether `b` has a turn besides its system prompt: a body of system messages alone is read,
/// but its encoding has no messages, which every format refuses.
inline bool has_turns(const gd::RequestBody& b) {
  for (const auto& r : b.roles)
    if (r != "system") return true;
  return false;
}

inline void check_request(const Home& home, std::string_view body) {
  const auto route = gd::route_of(home.request_target);
  if (!route) __builtin_trap();
  const auto first = gd::decode_request(body, *route);
  if (!first) {
    if (first.error().message.empty()) __builtin_trap();  // a refusal says why
    return;
  }
  governed::Request request;
  request.max_tokens = first->max_tokens;
  request.n = first->n;
  for (std::size_t i = 0; i < first->roles.size(); ++i) request.messages.push_back({first->roles[i], first->contents[i]});
  const governed::transport::Attempt attempt{.request = request, .provider = home.provider, .model = first->model,
                                             .base_url = home.base_url, .api_key = "fuzz-key-0001",
                                             .dialect = home.dialect};
  const auto encoded = gd::encode_request(attempt, home.dialect, {}, first->stream);
  if (!encoded) __builtin_trap();
  const auto written_route = gd::route_of(encoded->target);
  if (!written_route || written_route->format != route->format) __builtin_trap();
  const auto second = gd::decode_request(encoded->body, *written_route);
  const gd::RequestBody expected = carried(home.dialect, *first);
  if (!has_turns(expected)) {
    if (second) __builtin_trap();
    return;
  }
  if (!second || !same_call(*second, expected)) __builtin_trap();
}

inline int run(const Home& home, const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 4) {
    case 0: check_completion(home, rest); break;
    case 1: stream_fuzz::run(home.dialect, home.provider, data + 1, size - 1); break;
    case 2: check_error(home, rest); break;
    default: check_request(home, rest); break;
  }
  return 0;
}

}  // namespace dialect_fuzz
