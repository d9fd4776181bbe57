// Fuzzes the server-sent-events parser and each dialect's stream reading: any bytes, cut
// into any pieces, must give the same events, the same text pieces, the same usage and the
// same verdict (complete, or which problem) as the bytes fed whole — without crashing,
// hanging or holding more than the event limit.
//
// Input layout: byte 0 picks the dialect, byte 1 seeds the piece sizes, the rest is the
// stream.

#include <governed/dialect/stream.hpp>
#include <governed/wire/sse.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gd = governed::dialect;
namespace gw = governed::wire;
namespace gp = governed::providers;

namespace {

constexpr std::size_t limit = 4096;

struct Outcome {
  std::vector<std::string> events;  // event '\0' data '\0' id
  std::vector<std::string> pieces;
  std::optional<gp::Usage> usage;
  gd::StreamReader::Problem problem = gd::StreamReader::Problem::none;
  gw::SseParser::Status status = gw::SseParser::Status::ok;
  bool complete = false, done = false, pending = false;
  std::string error_body;

  bool operator==(const Outcome&) const = default;
};

/// Piece sizes from 1 to 64 bytes, from a small linear congruential sequence.
template <class F>
void in_pieces(std::string_view s, std::uint8_t seed, F&& f) {
  std::uint32_t x = seed | 1u;
  while (!s.empty()) {
    x = x * 1664525u + 1013904223u;
    const std::size_t n = std::min<std::size_t>(s.size(), 1 + (x >> 26));
    f(s.substr(0, n));
    s.remove_prefix(n);
  }
}

Outcome run(gp::Dialect d, std::string_view s, bool whole, std::uint8_t seed) {
  Outcome o;
  gw::SseParser sse(limit);
  gd::StreamReader reader(d, limit);
  auto feed = [&](std::string_view piece) {
    o.status = sse.feed(piece, [&](const gw::SseEvent& e) {
      if (e.data.size() > limit || e.event.size() > limit) __builtin_trap();
      std::string v(e.event);
      v += '\0';
      v += e.data;
      v += '\0';
      v += e.id;
      o.events.push_back(std::move(v));
    });
    reader.feed(piece, [&](std::string_view p) {
      if (p.empty()) __builtin_trap();
      o.pieces.emplace_back(p);
    });
  };
  if (whole) feed(s);
  else in_pieces(s, seed, feed);
  o.usage = reader.streamed().usage;
  o.problem = reader.problem();
  o.complete = reader.complete();
  o.done = reader.done();
  o.pending = sse.pending();
  o.error_body = reader.error_body();
  std::string joined;
  for (const auto& p : o.pieces) joined += p;
  if (joined != reader.streamed().content || o.pieces.size() != reader.streamed().chunks) __builtin_trap();
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static constexpr gp::Dialect dialects[] = {gp::Dialect::openai, gp::Dialect::anthropic, gp::Dialect::gemini,
                                             gp::Dialect::groq, gp::Dialect::azure};
  if (size < 2) return 0;
  const gp::Dialect d = dialects[data[0] % std::size(dialects)];
  const std::uint8_t seed = data[1];
  const std::string_view s(reinterpret_cast<const char*>(data + 2), size - 2);
  const Outcome whole = run(d, s, true, seed);
  const Outcome split = run(d, s, false, seed);
  if (!(whole == split)) __builtin_trap();
  return 0;
}
