#pragma once
// The stream part of the dialect_<home> targets (dialect_harness.hpp): a provider's streamed
// reply read by dialect::StreamReader, the reader transport::http uses, with the transport's
// default limits.
// Any bytes, whole or cut into any pieces, must give the same text, usage and verdict; the
// pieces handed out must add up to the content; an error the stream reports must be one
// event's data, a JSON object within the limits, which the classifier then reads as the
// transport hands it over — all without crashing, hanging or recursing on the input's depth.
//
// Input layout (after the harness's selector byte): byte 0 seeds the piece sizes, the rest is
// the stream.

#include <governed/dialect/classify.hpp>
#include <governed/dialect/stream.hpp>
#include <governed/json_limits.hpp>
#include <governed/providers/classify.hpp>
#include <governed/providers/messages.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace stream_fuzz {

namespace gp = governed::providers;
namespace gd = governed::dialect;
namespace gw = governed::wire;

struct Outcome {
  std::string content;
  std::size_t chunks = 0;
  std::optional<gp::Usage> usage;
  gd::StreamReader::Problem problem = gd::StreamReader::Problem::none;
  bool complete = false, done = false;
  std::string error_body;

  bool operator==(const Outcome&) const = default;
};

/// Piece sizes from 1 to 256 bytes, from a small linear congruential sequence.
template <class F>
void in_pieces(std::string_view s, std::uint8_t seed, F&& f) {
  std::uint32_t x = seed | 1u;
  while (!s.empty()) {
    x = x * 1664525u + 1013904223u;
    const std::size_t n = std::min<std::size_t>(s.size(), 1 + (x >> 24));
    f(s.substr(0, n));
    s.remove_prefix(n);
  }
}

inline Outcome read(gp::Dialect d, std::string_view s, bool whole, std::uint8_t seed) {
  gd::StreamReader reader(d);
  std::string joined;
  std::size_t pieces = 0;
  auto feed = [&](std::string_view piece) {
    reader.feed(piece, [&](std::string_view p) {
      if (p.empty()) __builtin_trap();
      joined += p;
      ++pieces;
    });
  };
  if (whole) feed(s);
  else in_pieces(s, seed, feed);
  Outcome o;
  o.content = reader.streamed().content;
  o.chunks = reader.streamed().chunks;
  if (joined != o.content || pieces != o.chunks) __builtin_trap();
  o.usage = reader.streamed().usage;
  o.problem = reader.problem();
  o.complete = reader.complete();
  o.done = reader.done();
  o.error_body = reader.error_body();
  return o;
}

inline int run(gp::Dialect d, std::string_view provider, const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t seed = data[0];
  const std::string_view s(reinterpret_cast<const char*>(data + 1), size - 1);
  const Outcome whole = read(d, s, true, seed);
  if (!(whole == read(d, s, false, seed))) __builtin_trap();
  if (whole.complete && whole.problem != gd::StreamReader::Problem::none) __builtin_trap();
  if (whole.problem == gd::StreamReader::Problem::error_event) {
    // The event's data as it came: a JSON object the reader measured and parsed.
    const governed::JsonLimits limits{gw::SseParser::default_max_event_bytes, gd::StreamReader::default_max_event_depth};
    auto j = governed::parse_json(whole.error_body, limits, "the error event");
    if (!j || !j->is_object()) __builtin_trap();
    static const std::vector<std::string> keys{"configured-key-0001"};
    const governed::WallTime now{std::chrono::seconds{1'711'483'199}};
    const auto v = governed::dialect::classify(provider, 200, gp::HeaderView{}, whole.error_body, now);
    const std::string m = gp::describe(v, provider, "model", keys);
    if (m.find("configured-key-0001") != std::string::npos) __builtin_trap();
  } else if (!whole.error_body.empty()) {
    __builtin_trap();
  }
  return 0;
}

}  // namespace stream_fuzz
