#pragma once
/// @file
/// W3C trace context (https://www.w3.org/TR/trace-context/): the `traceparent` a caller hands
/// a `Request`, and the one each call carries to the provider.
///
/// A call joins its caller's trace when the request has a `traceparent`, and starts one of its
/// own when it has none; either way it sends the provider a `traceparent` with the call's own
/// span id as the parent, so a tracing backend shows the provider's work under the call. The
/// ids are fixed-size arrays: carrying a trace costs a call no allocation.
///
///   00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01
///   ^  ^ trace id (16 bytes)             ^ parent id (8)   ^ flags (01: sampled)

#include <governed/error.hpp>
#include <governed/result.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace governed {

/// A trace id (16 bytes) or a span id (8 bytes); all zero is invalid in W3C trace context.
template <std::size_t N>
struct TraceBytes {
  std::array<std::uint8_t, N> bytes{};

  constexpr bool valid() const noexcept {
    std::uint8_t any = 0;
    for (auto b : bytes) any |= b;
    return any != 0;
  }
  /// Lowercase hex, as the header spells it.
  std::string hex() const {
    std::string s(2 * N, '0');
    write_hex(s.data());
    return s;
  }
  /// Writes the 2·N hex digits at `out`. Every call formats its traceparent: with SSE2 (every
  /// x86-64), sixteen bytes become their 32 digits in a dozen vector instructions; elsewhere,
  /// and for the flags' one byte, a table lookup a byte.
  void write_hex(char* out) const noexcept {
#if defined(__SSE2__)
    if constexpr (N % 8 == 0) {
      for (std::size_t i = 0; i < N; i += 8) write_hex8(bytes.data() + i, out + 2 * i);
      return;
    }
#endif
    for (std::size_t i = 0; i < N; ++i) {
      out[2 * i] = hex_pairs[2 * bytes[i]];
      out[2 * i + 1] = hex_pairs[2 * bytes[i] + 1];
    }
  }

 private:
#if defined(__SSE2__)
  /// Eight bytes at `in` as sixteen lowercase hex digits at `out`: each byte's nibbles
  /// interleaved high first, then 0..9 → '0'..'9' and 10..15 → 'a'..'f' (add '0', and 39 more
  /// above 9).
  static void write_hex8(const std::uint8_t* in, char* out) noexcept {
    const __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(in));
    const __m128i nibble = _mm_set1_epi8(0x0f);
    const __m128i high = _mm_and_si128(_mm_srli_epi16(b, 4), nibble);
    const __m128i low = _mm_and_si128(b, nibble);
    const __m128i digits = _mm_unpacklo_epi8(high, low);
    const __m128i above_nine = _mm_cmpgt_epi8(digits, _mm_set1_epi8(9));
    const __m128i text =
        _mm_add_epi8(_mm_add_epi8(digits, _mm_set1_epi8('0')), _mm_and_si128(above_nine, _mm_set1_epi8(39)));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out), text);
  }
#endif

  /// The two lowercase hex digits of every byte value, in order.
  static constexpr std::array<char, 512> hex_pairs = [] {
    constexpr char digits[] = "0123456789abcdef";
    std::array<char, 512> t{};
    for (std::size_t b = 0; b < 256; ++b) {
      t[2 * b] = digits[b >> 4];
      t[2 * b + 1] = digits[b & 0xF];
    }
    return t;
  }();

 public:
  friend constexpr bool operator==(const TraceBytes&, const TraceBytes&) = default;
};

using TraceId = TraceBytes<16>;
using SpanId = TraceBytes<8>;

/// The `traceparent` header of version 00: 55 characters.
inline constexpr std::size_t traceparent_size = 55;

struct TraceContext {
  TraceId trace_id{};
  SpanId parent_id{};
  std::uint8_t flags = 0x01;  ///< bit 0: sampled

  /// The header value, in a fixed buffer (no allocation).
  std::array<char, traceparent_size> header() const noexcept {
    std::array<char, traceparent_size> out;
    write_header(out.data());
    return out;
  }
  /// Writes the header's `traceparent_size` characters at `out`: where a call keeps it, with
  /// no copy between.
  void write_header(char* out) const noexcept {
    out[0] = '0';
    out[1] = '0';
    out[2] = '-';
    trace_id.write_hex(out + 3);
    out[35] = '-';
    parent_id.write_hex(out + 36);
    out[52] = '-';
    TraceBytes<1>{{flags}}.write_hex(out + 53);
  }
};

namespace detail {
constexpr int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;  // W3C trace context is lowercase only
}

template <std::size_t N>
constexpr bool read_hex(std::string_view s, TraceBytes<N>& out) noexcept {
  for (std::size_t i = 0; i < N; ++i) {
    const int hi = hex_value(s[2 * i]), lo = hex_value(s[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out.bytes[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return true;
}
}  // namespace detail

/// Reads a `traceparent` header. Version 00 must be exactly 55 characters; a later version may
/// carry more after the flags (the specification's forward compatibility), which is ignored.
/// Version ff, upper-case hex, an all-zero trace or parent id and a wrong shape are errors.
inline Result<TraceContext> parse_traceparent(std::string_view s) {
  const auto bad = [&](std::string_view why) -> Result<TraceContext> {
    return tl::unexpected(Error{Errc::invalid_argument,
                                std::string("traceparent is not a W3C trace context (") + std::string(why) +
                                    "); expected 00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>",
                                {}});
  };
  if (s.size() < traceparent_size) return bad("too short");
  TraceBytes<1> version{};
  if (!detail::read_hex(s.substr(0, 2), version)) return bad("the version is not two lowercase hex digits");
  if (version.bytes[0] == 0xff) return bad("version ff is invalid");
  if (version.bytes[0] == 0 && s.size() != traceparent_size) return bad("version 00 is exactly 55 characters");
  if (version.bytes[0] != 0 && s.size() > traceparent_size && s[traceparent_size] != '-')
    return bad("fields after the flags must follow a '-'");
  if (s[2] != '-' || s[35] != '-' || s[52] != '-') return bad("the fields are not separated by '-'");
  TraceContext c;
  TraceBytes<1> flags{};
  if (!detail::read_hex(s.substr(3, 32), c.trace_id)) return bad("the trace id is not 32 lowercase hex digits");
  if (!detail::read_hex(s.substr(36, 16), c.parent_id)) return bad("the parent id is not 16 lowercase hex digits");
  if (!detail::read_hex(s.substr(53, 2), flags)) return bad("the flags are not two lowercase hex digits");
  if (!c.trace_id.valid()) return bad("the trace id is all zeros");
  if (!c.parent_id.valid()) return bad("the parent id is all zeros");
  c.flags = flags.bytes[0];
  return c;
}

/// Fills `id` from `draw` (a 64-bit random source) until it is valid (all zero is not: one
/// chance in 2^64 a draw).
template <std::size_t N, class Draw>
void random_id(TraceBytes<N>& id, Draw&& draw) {
  static_assert(N % 8 == 0, "trace and span ids are whole 64-bit words");
  std::uint64_t any = 0;
  do {
    for (std::size_t i = 0; i < N; i += 8) {
      const std::uint64_t r = draw();
      std::memcpy(id.bytes.data() + i, &r, 8);
      any |= r;
    }
  } while (any == 0);
}

}  // namespace governed
