#pragma once
/// @file
/// Anthropic messages on the wire: `POST {base}/messages` with `x-api-key: <key>`,
/// `anthropic-version` and `{"model", "max_tokens", "messages", "system"?, …}`
/// (https://docs.anthropic.com/en/api/messages).
///
/// `max_tokens` is required by the API, so it is always sent. The conversation — system
/// prompt, turns, parts, tool calls and results, cache marks — is written by
/// dialect/anthropic/messages.hpp; tools, tool choice and the answer's format by
/// dialect/anthropic/tools.hpp. There is no `n`: one answer per call. A stream asks for
/// `stream: true`.
///
/// The typed sampling fields: `stop` is `stop_sequences`, `top_p` is `top_p`, `user` is
/// `metadata: {"user_id"}`. Anthropic has no seed and no free metadata: `seed` and `metadata`
/// are dropped.
///
/// Reasoning is `thinking: {"type": "enabled", "budget_tokens"}`: the call's budget, or its
/// effort's (`budget_of`); at least 1 024, Anthropic's least, and below `max_tokens`, or the
/// call is refused naming both (https://platform.claude.com/docs/en/build-with-claude/extended-thinking).
/// Effort none asks for no thinking. The same page: budget thinking is deprecated on the
/// Claude 4.6 models and refused with a 400 by Claude 4.7 and later, which take only adaptive
/// thinking, `{"type": "adaptive"}`; `thinking_form` will say which a model takes once the
/// provider table does. While the model thinks Anthropic takes no change of temperature, top_p
/// only from 0.95 to 1, and no forced tool: such a call is refused, never sent to fail.
/// `Reasoning::include_thoughts` asks nothing more of Anthropic, which returns the thinking.
///
/// The other direction, what the provider does with such a request: `decode_request` reads the
/// body back (dialect/request_body.hpp) and `key_of` the key.

#include <governed/attempt.hpp>
#include <governed/dialect/anthropic/messages.hpp>
#include <governed/dialect/anthropic/tools.hpp>
#include <governed/dialect/detail/json_body.hpp>
#include <governed/dialect/detail/bearer.hpp>
#include <governed/dialect/detail/body_reader.hpp>
#include <governed/dialect/request_body.hpp>
#include <governed/dialect/route.hpp>
#include <governed/json_limits.hpp>
#include <governed/reasoning.hpp>
#include <governed/result.hpp>
#include <governed/wire/http_request.hpp>
#include <governed/wire/options.hpp>
#include <governed/wire/url.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <tl/expected.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace governed::dialect::anthropic {

/// How a model takes a thinking budget: `{"type": "enabled", "budget_tokens"}`, or only
/// `{"type": "adaptive"}` (Claude 4.7 and later).
enum class ThinkingForm { enabled, adaptive };

/// The form `model` takes. Budget thinking for every model until the provider table states
/// each model's form.
inline ThinkingForm thinking_form(std::string_view /*model*/) noexcept { return ThinkingForm::enabled; }

/// The thinking budget the call asks for: its budget, else its effort's; 0 for none.
inline std::uint32_t thinking_budget(const std::optional<Reasoning>& reasoning) noexcept {
  if (!reasoning) return 0;
  if (reasoning->budget_tokens) return *reasoning->budget_tokens;
  return reasoning->effort ? budget_of(*reasoning->effort) : 0;
}

/// Anthropic's least thinking budget.
inline constexpr std::uint32_t least_thinking_budget = 1024;

/// `thinking` for a budget of `budget` tokens (more than 0) under `max_tokens`.
inline Result<nlohmann::json> thinking_field(ThinkingForm form, std::uint32_t budget, std::uint32_t max_tokens) {
  if (form == ThinkingForm::adaptive) return nlohmann::json{{"type", "adaptive"}};
  budget = std::max(budget, least_thinking_budget);
  if (budget >= max_tokens)
    return fail(Errc::invalid_argument,
                fmt::format("Anthropic needs max_tokens above the thinking budget, and this call thinks with {} "
                            "tokens within max_tokens {}",
                            budget, max_tokens));
  return nlohmann::json{{"type", "enabled"}, {"budget_tokens", budget}};
}

/// Temperature, top_p, stop sequences and the end user, into `body`.
inline Result<void> add_sampling(nlohmann::json& body, const Request& r, bool thinking) {
  if (r.temperature) {
    if (thinking)
      return fail(Errc::invalid_argument, "Anthropic takes no temperature while the model thinks (extended thinking)");
    body["temperature"] = *r.temperature;
  }
  if (r.top_p) {
    if (thinking && *r.top_p < 0.95)
      return fail(Errc::invalid_argument,
                  fmt::format("Anthropic takes top_p from 0.95 to 1 while the model thinks, and this call asks {}", *r.top_p));
    body["top_p"] = *r.top_p;
  }
  if (!r.stop.empty()) body["stop_sequences"] = r.stop;
  if (!r.user.empty()) body["metadata"] = {{"user_id", r.user}};
  return {};
}

/// The body for `a`, or an error saying what the messages format can not hold.
inline Result<nlohmann::json> body(const transport::Attempt& a, bool stream) {
  const Request& r = a.request;
  nlohmann::json body = nlohmann::json::object();
  body["model"] = a.model;
  body["max_tokens"] = r.max_tokens;
  auto conversation = anthropic::conversation(r.messages, a.provider);
  if (!conversation) return tl::unexpected(conversation.error());
  body["messages"] = std::move(conversation->messages);
  if (!conversation->system.is_null()) body["system"] = std::move(conversation->system);
  const std::uint32_t budget = thinking_budget(r.reasoning);
  if (budget > 0) {
    auto thinking = thinking_field(thinking_form(a.model), budget, r.max_tokens);
    if (!thinking) return tl::unexpected(thinking.error());
    body["thinking"] = std::move(*thinking);
  }
  if (auto s = add_sampling(body, r, budget > 0); !s) return tl::unexpected(s.error());
  if (auto t = add_tools(body, r, budget > 0); !t) return tl::unexpected(t.error());
  if (stream) body["stream"] = true;
  detail::apply_parameters(body, r.parameters);
  return body;
}

inline Result<wire::HttpRequest> encode_request(const transport::Attempt& a, const wire::Url& base,
                                                const wire::Options& o, bool stream) {
  auto b = body(a, stream);
  if (!b) return tl::unexpected(b.error());
  wire::HttpRequest r;
  r.stream = stream;
  r.target = base.target("/messages");
  r.headers = {{"anthropic-version", o.anthropic_version},
               {"content-type", "application/json"},
               {"accept", stream ? "text/event-stream" : "application/json"},
               {"user-agent", o.user_agent}};
  wire::add_auth(r, "x-api-key", "", a.api_key);
  r.body = b->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

/// A messages body read (the inverse of `encode_request`): `max_tokens` is required, `system` a
/// string or text blocks; the route adds nothing (the model is in the body).
inline tl::expected<RequestBody, BodyProblem> decode_request(std::string_view text, const Route& /*route*/,
                                                             const JsonLimits& limits = {}) {
  using namespace governed::dialect::detail;
  auto parsed = object_of(text, limits);
  if (!parsed) return tl::unexpected(parsed.error());
  const nlohmann::json& body = *parsed;
  RequestBody out;
  if (auto m = model_field(body, out); !m) return tl::unexpected(m.error());
  if (auto s = body.find("system"); s != body.end() && !s->is_null()) {
    auto sys = content_text(*s, "system");
    if (!sys) return tl::unexpected(sys.error());
    out.roles.emplace_back("system");
    out.contents.push_back(std::move(*sys));
  }
  if (auto m = messages_field(body, out); !m) return tl::unexpected(m.error());
  if (!body.contains("max_tokens") || body["max_tokens"].is_null()) return tl::unexpected(missing("max_tokens"));
  auto max = integer(body, "max_tokens", 1, std::numeric_limits<std::int32_t>::max(), out.max_tokens);
  if (!max) return tl::unexpected(max.error());
  out.max_tokens = *max;
  auto stream = boolean(body, "stream");
  if (!stream) return tl::unexpected(stream.error());
  out.stream = *stream;
  out.include_usage = true;
  return out;
}


/// The key a messages request carries, `x-api-key: <key>` (what `encode_request` writes), or
/// else an `authorization: Bearer` one; empty when it carries none.
/// `header(name)` gives the value of the request's header `name` (lower-case) as a view that
/// lives while the call does, empty when absent.
template <class HeaderLookup>
  requires std::is_invocable_r_v<std::string_view, const HeaderLookup&, std::string_view>
std::string key_of(const HeaderLookup& header, const Route& /*route*/) {
  if (const std::string_view k = header("x-api-key"); !k.empty()) return std::string(k);
  return std::string(detail::bearer_credential(header("authorization")));
}

}  // namespace governed::dialect::anthropic
