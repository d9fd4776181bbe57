#pragma once
/// @file
/// `CacheCodec<Response>`: how a governed call's answer is written in a shared response
/// cache's store, and read back. The Redis store uses it (redis/cache.hpp); the cache itself
/// (cache.hpp) and the State hand the store a `Response` and never see this text, so they
/// need no JSON library.
///
/// Only what a cache hit returns travels: the answer (every choice's text, finish, tool calls,
/// refusal and reasoning), the usage the provider reported, the provider's request id and
/// where it was answered (provider and model). The cost, the attempts and the events are those
/// of the call that produced it and are reset on a hit anyway; the key fingerprint is left out,
/// since a hit used no key.

#include <governed/json_limits.hpp>
#include <governed/request.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace governed {

/// How a cached value becomes text for a store outside the process and back: a
/// specialisation has `static std::string encode(const Value&)` and
/// `static std::optional<Value> decode(std::string_view)` (empty: not a value of this kind).
template <class Value>
struct CacheCodec;

namespace detail {

/// A choice's end and detail, as the codec writes them beside its text.
struct CachedChoiceCodec {
  static nlohmann::json encode(providers::FinishReason finish, const std::string& word,
                               const Boxed<providers::ChoiceDetail>& detail) {
    nlohmann::json j = {{"finish", providers::to_string(finish)}, {"provider_finish", word}};
    if (!detail) return j;
    nlohmann::json calls = nlohmann::json::array();
    for (const auto& c : detail->tool_calls)
      calls.push_back({{"id", c.id}, {"name", c.name}, {"arguments", c.arguments},
                       {"arguments_object", c.arguments_object}, {"signature", c.signature}});
    nlohmann::json reasoning = nlohmann::json::array();
    for (const auto& r : detail->reasoning)
      reasoning.push_back({{"text", r.text}, {"signature", r.signature}, {"redacted", r.redacted}});
    j["tool_calls"] = std::move(calls);
    j["refusal"] = detail->refusal;
    j["reasoning"] = std::move(reasoning);
    return j;
  }

  static std::string text(const nlohmann::json& j, const char* k) {
    auto it = j.find(k);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string{};
  }

  /// Reads what `encode` wrote into `finish`, `word` and `detail`; a field of the wrong type
  /// reads as absent (the entry is still the answer; a damaged detail loses only itself).
  static void decode(const nlohmann::json& j, providers::FinishReason& finish, std::string& word,
                     Boxed<providers::ChoiceDetail>& detail) {
    finish = providers::FinishReason::unknown;
    const std::string name = text(j, "finish");
    for (auto r : {providers::FinishReason::stop, providers::FinishReason::length, providers::FinishReason::tool_calls,
                   providers::FinishReason::content_filter, providers::FinishReason::other})
      if (name == providers::to_string(r)) finish = r;
    word = text(j, "provider_finish");
    auto calls = j.find("tool_calls");
    auto reasoning = j.find("reasoning");
    const std::string refusal = text(j, "refusal");
    const bool any_calls = calls != j.end() && calls->is_array() && !calls->empty();
    const bool any_reasoning = reasoning != j.end() && reasoning->is_array() && !reasoning->empty();
    if (!any_calls && !any_reasoning && refusal.empty()) return;
    auto& d = detail.make();
    d.refusal = refusal;
    if (any_calls)
      for (const auto& c : *calls)
        if (c.is_object()) {
          auto obj = c.find("arguments_object");
          d.tool_calls.push_back({text(c, "id"), text(c, "name"), text(c, "arguments"),
                                  obj == c.end() || !obj->is_boolean() || obj->get<bool>(), text(c, "signature")});
        }
    if (any_reasoning)
      for (const auto& r : *reasoning)
        if (r.is_object()) d.reasoning.push_back({text(r, "text"), text(r, "signature"), text(r, "redacted")});
  }
};

}  // namespace detail

template <>
struct CacheCodec<Response> {
  static std::string encode(const Response& r) {
    nlohmann::json j = {{"content", r.content},
                        {"provider", r.provider},
                        {"model", r.model},
                        {"usage",
                         {{"input", r.usage.input_tokens},
                          {"cached_input", r.usage.cached_input_tokens},
                          {"cache_write", r.usage.cache_write_tokens},
                          {"output", r.usage.output_tokens},
                          {"reasoning", r.usage.reasoning_tokens}}},
                        {"request_id", r.request_id.view()},
                        {"answer", detail::CachedChoiceCodec::encode(r.finish, r.provider_finish, r.detail)}};
    if (!r.more_choices.empty()) {
      nlohmann::json more = nlohmann::json::array();
      for (const auto& c : r.more_choices) {
        auto one = detail::CachedChoiceCodec::encode(c.finish, c.provider_finish, c.detail);
        one["content"] = c.content;
        more.push_back(std::move(one));
      }
      j["more_choices"] = std::move(more);
    }
    // Content that is not valid UTF-8 is replaced rather than refused: the local copy keeps it.
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }

  /// What `decode` reads of a shared cache's value, which anyone with access to the store may
  /// have written: `encode` nests four levels, and its size is the content's, at most six
  /// times a 16 MiB reply once escaped.
  static constexpr JsonLimits limits{std::size_t{128} << 20, 8};

  /// Empty when `text` is not what `encode` writes (another version, a damaged value, one
  /// past `limits`).
  static std::optional<Response> decode(std::string_view text) {
    const auto parsed = parse_json(text, limits, "a cached response");
    if (!parsed || !parsed->is_object()) return std::nullopt;
    const nlohmann::json& j = *parsed;
    const auto str = [&](const char* k) -> const std::string* {
      auto it = j.find(k);
      return it != j.end() && it->is_string() ? it->template get_ptr<const std::string*>() : nullptr;
    };
    const auto* content = str("content");
    const auto* provider = str("provider");
    const auto* model = str("model");
    auto usage = j.find("usage");
    if (!content || !provider || !model || usage == j.end() || !usage->is_object()) return std::nullopt;
    Response r;
    r.content = *content;
    r.provider = *provider;
    r.model = *model;
    const auto count = [&](const char* k) -> std::int64_t {
      auto it = usage->find(k);
      return it != usage->end() && it->is_number_integer() ? it->template get<std::int64_t>() : 0;
    };
    r.usage.input_tokens = count("input");
    r.usage.cached_input_tokens = count("cached_input");
    r.usage.cache_write_tokens = count("cache_write");
    r.usage.output_tokens = count("output");
    r.usage.reasoning_tokens = count("reasoning");
    if (const auto* id = str("request_id")) r.request_id = providers::RequestId(*id);
    if (auto a = j.find("answer"); a != j.end() && a->is_object())
      detail::CachedChoiceCodec::decode(*a, r.finish, r.provider_finish, r.detail);
    if (auto more = j.find("more_choices"); more != j.end() && more->is_array())
      for (const auto& c : *more) {
        if (!c.is_object()) continue;
        auto& choice = r.more_choices.emplace_back();
        choice.content = detail::CachedChoiceCodec::text(c, "content");
        detail::CachedChoiceCodec::decode(c, choice.finish, choice.provider_finish, choice.detail);
      }
    return r;
  }
};

}  // namespace governed
