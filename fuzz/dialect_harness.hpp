#pragma once
// The harness of the dialect_<home> targets, one for each home of include/governed/dialect/:
// each fuzzes every reader of provider replies its home has, so one build and one run cover
// them all. Byte 0 of an input picks the reader (its value modulo 3), the rest is the reader's:
//   0  a successful reply's body: the home's one-pass decode_completion must find the same
//      text and usage as the document readers (dialect/answer_json.hpp), or both refuse — a
//      body nested past the limits included, which neither may recurse on;
//   1  a streamed reply: byte 1 seeds the piece sizes, the rest is the stream, read by
//      dialect::StreamReader as transport::http reads it (what must hold: stream_reader.hpp);
//   2  an error body: byte 1 picks the route (provider and its home's decode_error), byte 2
//      the status (400 to 599), the rest is the body. decode_error never throws, and the
//      verdict the classifier gives on what it read has a usable wait and a message without
//      the key.

#include "stream_reader.hpp"

#include <governed/dialect/answer_json.hpp>
#include <governed/dialect/error.hpp>
#include <governed/json_limits.hpp>
#include <governed/providers/classify.hpp>
#include <governed/providers/completion.hpp>
#include <governed/providers/error_body.hpp>
#include <governed/providers/table.hpp>
#include <governed/providers/usage.hpp>
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
};

inline void check_completion(const Home& home, std::string_view body) {
  const auto doc = governed::parse_json(body, governed::JsonLimits{}, "the reply body");
  const auto one_pass = home.decode_completion(body, governed::JsonLimits{});
  if (one_pass.has_value() != doc.has_value()) __builtin_trap();
  if (!one_pass) return;
  if (one_pass->content != gd::content_from_json(home.dialect, *doc)) __builtin_trap();
  const auto usage = gd::usage_from_json(*doc);
  if (one_pass->usage.has_value() != usage.has_value()) __builtin_trap();
  if (usage && !(*one_pass->usage == *usage)) __builtin_trap();
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

inline int run(const Home& home, const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 3) {
    case 0: check_completion(home, rest); break;
    case 1: stream_fuzz::run(home.dialect, home.provider, data + 1, size - 1); break;
    default: check_error(home, rest); break;
  }
  return 0;
}

}  // namespace dialect_fuzz
