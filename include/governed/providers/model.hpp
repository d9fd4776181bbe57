#pragma once
/// @file
/// A model as the provider table describes it: context window, output limit, price, limits
/// per tier, tags, token-estimate parameters and what it can carry (capabilities.hpp), each with
/// the date it was published.

#include <governed/providers/capabilities.hpp>

#include <governed/providers/image_tokens.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace governed::providers {

/// A published limit: a number, "unlimited", "unavailable" on this tier, or not published.
struct Cap {
  enum class State : std::uint8_t { unpublished, limited, unlimited, unavailable };
  State state = State::unpublished;
  std::int64_t value = 0;

  /// A limit of `n` (at least 1: 0 would read as "no limit" to the limiter).
  static constexpr Cap of(std::int64_t n) noexcept { return {State::limited, n}; }
  /// Published as "unlimited".
  static constexpr Cap without_limit() noexcept { return {State::unlimited, 0}; }

  bool limited() const noexcept { return state == State::limited; }
  friend bool operator==(const Cap&, const Cap&) = default;
};

/// One tier's limits for one model.
struct TierLimits {
  std::string name;
  bool available = true;  ///< false: the model is not offered on this tier at all
  Cap rpm, tpm, rpd, tpd, itpm, otpm;
  std::string as_of;
  friend bool operator==(const TierLimits&, const TierLimits&) = default;
};

/// USD per million tokens.
struct Price {
  double input = 0;
  double output = 0;
  std::optional<double> cached_input{};  ///< reading a cached prompt prefix
  std::optional<double> cache_write{};   ///< writing one (Anthropic charges extra)
  std::string as_of;
  friend bool operator==(const Price&, const Price&) = default;
};

/// Token estimation parameters (see tokens.hpp). The defaults are OpenAI's chat format; the
/// table sets each provider's own.
struct EstimateParams {
  double letters_per_token = 5.0;  ///< ASCII letters per token; other characters: tokens.hpp
  int tokens_per_message = 3;
  int tokens_per_reply = 3;
  /// How the model counts an image (image_tokens.hpp), and the multiplier `openai_patches`
  /// applies (1.62 for gpt-4.1-mini, 2.46 for gpt-4.1-nano).
  ImageRule image = ImageRule::openai_tiles;
  double image_patch_multiplier = 1.0;
  /// The framing of each tool definition beside its name, description and schema text: 7 on
  /// gpt-4o (OpenAI's cookbook, "How to count tokens with tiktoken", `func_init`).
  int tokens_per_tool = 7;
  /// What a provider adds once when any tool is given: 12 on gpt-4o (the same cookbook's
  /// `func_end`); Anthropic's tool-use system prompt, which its pricing page lists per model
  /// and tool choice, and the table takes the larger of: Claude 3 Haiku 264 (auto) or 340
  /// (any, tool) (https://docs.anthropic.com/en/docs/tool-use-pricing-and-tokens); Claude 3.5
  /// Sonnet and later 346 (auto, none) or 313 (any, tool), as quoted at
  /// https://claudecodeguides.com/claude-tool-definitions-346-tokens-per-call/.
  int tool_prompt_tokens = 12;
  /// One page of a PDF, its text and its picture together: providers put both in the context.
  /// - OpenAI ("we put into the model's context both the extracted text and an image of each
  ///   page", https://developers.openai.com/docs/guides/pdf-files) states no figure: 1 500 is a
  ///   portrait page's picture at `high` detail (768 × 994 after scaling, 4 tiles, 765) and a
  ///   dense page's text.
  /// - Anthropic converts each page to an image and gives its text beside it
  ///   (https://docs.anthropic.com/en/docs/build-with-claude/pdf-support); its page puts a
  ///   page's text at 1 500–3 000 tokens, the picture on top. The table takes 3 000, the
  ///   top: a public measurement (huggingface.co/datasets/JOHNISKING/pdf-token-cost) found
  ///   2 100–2 500 a page, picture included, on Claude 4.5 and 5.5.
  /// - Gemini tokenizes each page as an image (258 on Gemini 2.x,
  ///   https://cloud.google.com/distributed-cloud/hosted/docs/latest/gdch/gemini/capabilities/document);
  ///   the same measurement found 561 with the page's text on Gemini 3: the table takes 560.
  int tokens_per_document_page = 1500;
  friend bool operator==(const EstimateParams&, const EstimateParams&) = default;
};

struct Model {
  std::string name;
  std::string provider;
  std::int64_t context_window = 0;
  std::int64_t max_output_tokens = 0;
  Price price;
  std::vector<TierLimits> tiers;
  std::vector<std::string> tags;  ///< primary, fallback, budget, large_context
  EstimateParams estimate;
  /// What it can carry beyond text: its own list in the table, else its provider's.
  Capabilities capabilities{};
  std::string as_of;
  std::optional<std::string> retired{};  ///< the date it was retired, when it was
  std::string note;

  bool has_tag(std::string_view t) const noexcept {
    return std::find(tags.begin(), tags.end(), t) != tags.end();
  }
  const TierLimits* tier(std::string_view t) const noexcept {
    for (const auto& x : tiers)
      if (x.name == t) return &x;
    return nullptr;
  }
  friend bool operator==(const Model&, const Model&) = default;
};

}  // namespace governed::providers
