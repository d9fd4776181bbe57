// Fuzzes governed-sim's handling of a request, in process and without sockets: the request
// target routed (dialect::route_of), the body read in the route's format (dialect::decode_request, within
// its JsonLimits), then either the provider's 400 for the body (sim::bad_body) or the call
// answered by a simulated provider of that format, a stream framed as its server-sent events
// and read back by the client's dialect::StreamReader. Any target and body must be answered
// without crashing, hanging or recursing on the body's depth; every body the simulator writes
// must be JSON the client can read; a stream it frames whole must read back whole, with the
// text it was made of.
//
// Input layout: the request target up to the first newline, then the body.

#include <governed/dialect/request.hpp>
#include <governed/dialect/stream.hpp>
#include <governed/dialect/stream_frame.hpp>
#include <governed/json_limits.hpp>
#include <governed/sim/provider.hpp>
#include <governed/sim/request_errors.hpp>
#include <governed/dialect/route.hpp>
#include <governed/sim/replies.hpp>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gs = governed::sim;
namespace gp = governed::providers;
namespace gd = governed::dialect;

namespace {

constexpr std::string_view key = "sk-fuzz-key-0001";

/// One simulated provider per wire format, limited enough that some calls are refused. One
/// allowance per key (not per model), so the model names of the inputs grow no table.
gs::Provider& provider_for(gd::Format f) {
  static const auto make = [](const char* name) {
    gs::Config cfg;
    cfg.provider = name;
    cfg.keys = {{.key = std::string(key), .account = "org-fuzz"}};
    cfg.limits = {.rpm = 120, .tpm = 200000};
    cfg.per_model = false;
    cfg.log_capacity = 0;
    auto p = gs::Provider::create(std::move(cfg));
    if (!p) __builtin_trap();
    return *p;
  };
  static const std::shared_ptr<gs::Provider> providers[] = {make("openai"), make("azure"), make("anthropic"),
                                                            make("gemini")};
  return *providers[static_cast<std::size_t>(f)];
}

/// Whatever the simulator writes as a body is a JSON object the client reads within its limits.
void check_json_body(std::string_view body) {
  auto j = governed::parse_json(body, governed::JsonLimits{}, "the reply body");
  if (!j || !j->is_object()) __builtin_trap();
}

/// A framed stream read back by the client's reader of the provider's dialect.
void check_stream(const gs::Stream& s, const gd::Route& route, gp::Dialect d, std::uint64_t serial) {
  const std::string id = gs::reply_id(d, serial);
  const gd::StreamFrame frame{.dialect = d, .id = id, .model = "model", .include_usage = true, .usage = s.usage,
                              .complete = !s.broken_after};
  const gd::FramedStream framed = gd::encode_stream(std::span(s.pieces).first(s.sent()), frame);
  if (d == gp::Dialect::gemini && !route.sse) return;  // one JSON array, not events
  gd::StreamReader reader(d);
  for (const auto& e : framed.events) reader.feed(e, [](std::string_view) {});
  if (reader.problem() != gd::StreamReader::Problem::none) __builtin_trap();
  if (framed.complete) {
    std::string text;
    for (const auto& p : s.pieces) text += p;
    if (!reader.complete() || reader.streamed().content != text) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static std::uint64_t serial = 0;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto nl = in.find('\n');
  const std::string_view target = in.substr(0, nl);
  const std::string_view text = nl == std::string_view::npos ? std::string_view{} : in.substr(nl + 1);

  const auto route = gd::route_of(target);
  if (!route) {
    check_json_body(gs::no_route(gp::Dialect::openai, "POST", target, ++serial).body);
    return 0;
  }
  gs::Provider& provider = provider_for(route->format);
  const gp::Dialect d = provider.entry().dialect;
  const auto body = gd::decode_request(text, *route);
  if (!body) {
    if (body.error().message.empty()) __builtin_trap();
    const gs::ProviderReply r = gs::bad_body(d, body.error(), ++serial);
    if (r.status != 400) __builtin_trap();
    check_json_body(r.body);
    return 0;
  }
  // A second apart, so the per-minute allowance refuses some calls and admits others.
  const governed::Instant now{std::chrono::seconds{++serial}};
  const governed::WallTime wall{std::chrono::seconds{1'711'483'199 + static_cast<std::int64_t>(serial)}};
  std::vector<gp::ChatMessage> messages;
  const gs::ProviderReply r = provider.handle(gs::call_of(*body, key, messages), now, wall);
  if (r.stream) check_stream(*r.stream, *route, d, serial);
  else check_json_body(r.body);
  return 0;
}
