#pragma once
/// @file
/// `CacheCodec<Response>`: how a governed call's answer is written in a shared response
/// cache's store, and read back. The Redis store uses it (redis/cache.hpp); the cache itself
/// (cache.hpp) and the State hand the store a `Response` and never see this text, so they
/// need no JSON library.
///
/// Only what a cache hit returns travels: the content, the usage the provider reported and
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

template <>
struct CacheCodec<Response> {
  static std::string encode(const Response& r) {
    const nlohmann::json j = {{"content", r.content},
                              {"provider", r.provider},
                              {"model", r.model},
                              {"usage",
                               {{"input", r.usage.input_tokens},
                                {"cached_input", r.usage.cached_input_tokens},
                                {"cache_write", r.usage.cache_write_tokens},
                                {"output", r.usage.output_tokens},
                                {"reasoning", r.usage.reasoning_tokens}}}};
    // Content that is not valid UTF-8 is replaced rather than refused: the local copy keeps it.
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }

  /// What `decode` reads of a shared cache's value, which anyone with access to the store may
  /// have written: `encode` nests two levels, and its size is the content's, at most six
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
    return r;
  }
};

}  // namespace governed
