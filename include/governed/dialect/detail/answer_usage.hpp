#pragma once
/// @file
/// `UsageFields`: the usage of a reply read in one pass by the answer reader
/// (answer_reader.hpp) — every shape whatever the dialect (OpenAI chat and Responses,
/// Anthropic, Gemini), as `dialect::usage_from_json` (answer_json.hpp) reads it from a
/// document: a gateway in front of a provider may answer in another provider's usage shape,
/// and the walk counts whatever usage the reply states.

#include <governed/dialect/detail/answer_path.hpp>
#include <governed/providers/usage.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>

namespace governed::dialect::detail {

/// A usage field as `count_at` reads it: absent or null is 0, a non-negative integer is
/// itself, anything else spoils the usage.
struct Count {
  std::int64_t value = 0;
  bool bad = false;
  void set(std::int64_t v) noexcept { value = v, bad = v < 0; }
  void spoil() noexcept { value = 0, bad = true; }
  void clear() noexcept { value = 0, bad = false; }
};

class UsageFields {
 public:
  /// A member key `name` at depth `depth` (1: the top object's); `frames` its path.
  void key(const Frame* frames, std::size_t depth) noexcept {
    if (depth == 1) return top_key(frames[0].name);
    if (depth == 2 && frames[0].name == Name::usage && usage_is_object_) {
      const Name n = frames[1].name;
      if (n == Name::prompt_tokens) has_prompt_tokens_ = true;
      if (n == Name::input_tokens) has_input_tokens_ = true;
      if (n == Name::input_tokens_details) has_input_details_ = true;
    }
  }

  /// A value begins at `p`.
  void value(const Path& p, const Value& v) noexcept {
    if (p.depth == 1 && p.frames[0].name == Name::usage) usage_is_object_ = v.is_object();
    Count* c = count_at(p);
    if (!c) return;
    switch (v.kind) {
      case Value::Kind::integer: return c->set(v.integer);
      // get<std::int64_t>() of a count past INT64_MAX wraps negative: refused, as there.
      case Value::Kind::unsigned_integer: return c->set(static_cast<std::int64_t>(v.unsigned_integer));
      case Value::Kind::null: return c->clear();
      default: return c->spoil();
    }
  }

  /// The usage as `dialect::usage_from_json` reads it from the same body.
  std::optional<providers::Usage> usage() const noexcept {
    providers::Usage u;
    if (has_usage_metadata_) {
      if (!ok({Field::g_prompt, Field::g_cached, Field::g_candidates, Field::g_thoughts})) return std::nullopt;
      u.input_tokens = c(Field::g_prompt).value;
      u.cached_input_tokens = c(Field::g_cached).value;
      u.reasoning_tokens = c(Field::g_thoughts).value;
      u.output_tokens = c(Field::g_candidates).value + u.reasoning_tokens;
    } else if (usage_is_object_ && has_prompt_tokens_) {
      if (!ok({Field::prompt_tokens, Field::completion_tokens, Field::prompt_cached, Field::completion_reasoning}))
        return std::nullopt;
      u.input_tokens = c(Field::prompt_tokens).value;
      u.output_tokens = c(Field::completion_tokens).value;
      u.cached_input_tokens = c(Field::prompt_cached).value;
      u.reasoning_tokens = c(Field::completion_reasoning).value;
    } else if (usage_is_object_ && has_input_tokens_) {
      if (has_input_details_) {  // OpenAI Responses API
        if (!ok({Field::input_tokens, Field::output_tokens, Field::input_cached, Field::output_reasoning}))
          return std::nullopt;
        u.input_tokens = c(Field::input_tokens).value;
        u.output_tokens = c(Field::output_tokens).value;
        u.cached_input_tokens = c(Field::input_cached).value;
        u.reasoning_tokens = c(Field::output_reasoning).value;
      } else {  // Anthropic: input_tokens excludes the cache
        if (!ok({Field::input_tokens, Field::output_tokens, Field::cache_read, Field::cache_creation}))
          return std::nullopt;
        u.output_tokens = c(Field::output_tokens).value;
        u.cached_input_tokens = c(Field::cache_read).value;
        u.cache_write_tokens = c(Field::cache_creation).value;
        u.input_tokens = c(Field::input_tokens).value + u.cached_input_tokens + u.cache_write_tokens;
      }
    } else {
      return std::nullopt;
    }
    if (u.cached_input_tokens + u.cache_write_tokens > u.input_tokens || u.reasoning_tokens > u.output_tokens)
      return std::nullopt;
    return u;
  }

 private:
  enum class Field : std::uint8_t {
    // usage (OpenAI chat, Responses, Anthropic)
    prompt_tokens, completion_tokens, prompt_cached, completion_reasoning, input_tokens, output_tokens,
    input_cached, output_reasoning, cache_read, cache_creation,
    // usageMetadata (Gemini)
    g_prompt, g_cached, g_candidates, g_thoughts,
    count
  };

  const Count& c(Field f) const noexcept { return counts_[static_cast<std::size_t>(f)]; }
  Count* at(Field f) noexcept { return &counts_[static_cast<std::size_t>(f)]; }
  bool ok(std::initializer_list<Field> fs) const noexcept {
    for (Field f : fs)
      if (c(f).bad) return false;
    return true;
  }

  /// A top-level member begins: a repeated `usage` or `usageMetadata` replaces the earlier one.
  void top_key(Name n) noexcept {
    if (n == Name::usage) {
      usage_is_object_ = false, has_prompt_tokens_ = has_input_tokens_ = has_input_details_ = false;
      for (std::size_t i = 0; i < static_cast<std::size_t>(Field::g_prompt); ++i) counts_[i].clear();
    } else if (n == Name::usage_metadata) {
      has_usage_metadata_ = true;
      for (std::size_t i = static_cast<std::size_t>(Field::g_prompt); i < counts_.size(); ++i) counts_[i].clear();
    }
  }

  /// The usage field the value at `p` is, if it is one.
  Count* count_at(const Path& p) noexcept {
    const Frame* f = p.frames;
    if (p.depth < 2 || p.depth > 3 || f[0].array || f[1].array) return nullptr;
    if (p.depth == 2 && f[0].name == Name::usage) {
      switch (f[1].name) {
        case Name::prompt_tokens: return at(Field::prompt_tokens);
        case Name::completion_tokens: return at(Field::completion_tokens);
        case Name::input_tokens: return at(Field::input_tokens);
        case Name::output_tokens: return at(Field::output_tokens);
        case Name::cache_read_input_tokens: return at(Field::cache_read);
        case Name::cache_creation_input_tokens: return at(Field::cache_creation);
        default: return nullptr;
      }
    }
    if (p.depth == 3 && f[0].name == Name::usage) {
      const Name outer = f[1].name, inner = f[2].name;
      if (f[2].array) return nullptr;
      if (outer == Name::prompt_tokens_details && inner == Name::cached_tokens) return at(Field::prompt_cached);
      if (outer == Name::completion_tokens_details && inner == Name::reasoning_tokens) return at(Field::completion_reasoning);
      if (outer == Name::input_tokens_details && inner == Name::cached_tokens) return at(Field::input_cached);
      if (outer == Name::output_tokens_details && inner == Name::reasoning_tokens) return at(Field::output_reasoning);
      return nullptr;
    }
    if (p.depth == 2 && f[0].name == Name::usage_metadata) {
      switch (f[1].name) {
        case Name::prompt_token_count: return at(Field::g_prompt);
        case Name::cached_content_token_count: return at(Field::g_cached);
        case Name::candidates_token_count: return at(Field::g_candidates);
        case Name::thoughts_token_count: return at(Field::g_thoughts);
        default: return nullptr;
      }
    }
    return nullptr;
  }

  std::array<Count, static_cast<std::size_t>(Field::count)> counts_{};
  bool has_usage_metadata_ = false;
  bool usage_is_object_ = false;
  bool has_prompt_tokens_ = false, has_input_tokens_ = false, has_input_details_ = false;
};

}  // namespace governed::dialect::detail
