// Fuzzes every parser of waits and times: Go durations, delay-seconds, HTTP-dates, RFC 3339,
// waits in prose, limit headers, and redaction. Each must answer (a value or nothing) for any
// bytes, and a value must be a sensible wait. A Go duration read is written the way
// governed-sim writes it and read back to the same wait, rounded up to the millisecond.

#include <governed/providers/headers.hpp>
#include <governed/providers/redact.hpp>
#include <governed/providers/wait.hpp>
#include <governed/wire/time.hpp>

#include <chrono>
#include <cstdint>
#include <string_view>
#include <vector>

namespace gp = governed::providers;

namespace {
void check(const std::optional<governed::Duration>& d) {
  if (d && (*d < governed::Duration::zero() || *d > gp::max_usable_wait)) __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view s(reinterpret_cast<const char*>(data), size);
  const governed::WallTime now{std::chrono::seconds{1'711'483'199}};
  const auto go = gp::parse_go_duration(s);
  check(go);
  if (go && governed::wire::parse_go_duration(governed::wire::go_duration(*go)) !=
                std::chrono::ceil<std::chrono::milliseconds>(*go))
    __builtin_trap();
  check(gp::parse_number_wait(s));
  check(gp::parse_retry_after(s, std::nullopt, now));
  check(gp::parse_retry_after(s, gp::parse_http_date(s), now));
  check(gp::find_wait_in_text(s));
  (void)gp::parse_rfc3339(s);
  const std::vector<gp::Header> headers{{"x-ratelimit-reset-tokens", s},
                                        {"anthropic-ratelimit-requests-reset", s},
                                        {"x-ratelimit-reset", s},
                                        {"x-ratelimit-remaining-requests", s},
                                        {"date", s}};
  const auto snap = gp::read_limit_headers(headers, now);
  check(snap.tokens.reset_after);
  check(snap.requests.reset_after);
  const std::string r = gp::redact(s);
  if (r.size() > s.size() * 2 + 16) __builtin_trap();
  return 0;
}
