#pragma once
/// @file
/// Reasoning: how much a model may think before it answers (`Reasoning`, in a `Request`), and
/// what it thought, as the provider returned it (`ReasoningBlock`, in a `Response` and in the
/// history's assistant messages).
///
/// Providers state the ask in two ways: OpenAI as an effort (`reasoning_effort`: none,
/// minimal, low, medium, high, xhigh), Anthropic and Gemini as a token budget (`thinking:
/// {"budget_tokens"}`, `thinkingConfig.thinkingBudget`). A call may give either; each encoder
/// writes its provider's form, converting by governed's table below — Google's published
/// mapping of efforts to Gemini budgets (low 1 024, medium 8 192, high 24 576:
/// https://ai.google.dev/gemini-api/docs/openai#thinking), extended at both ends.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace governed {

struct Reasoning {
  enum class Effort : std::uint8_t { none, minimal, low, medium, high, xhigh };
  /// As an effort (OpenAI's form); converted to a budget for the others.
  std::optional<Effort> effort{};
  /// As a budget of thinking tokens (Anthropic's and Gemini's form); converted to an effort
  /// for OpenAI. When both are given, each provider takes the one in its own form.
  std::optional<std::uint32_t> budget_tokens{};
  /// Return the model's thoughts (Anthropic's thinking blocks, Gemini's thought summaries)
  /// where the provider can.
  bool include_thoughts = false;

  friend bool operator==(const Reasoning&, const Reasoning&) = default;
};

/// The thinking budget governed writes for `effort` (0 for none: no thinking).
constexpr std::uint32_t budget_of(Reasoning::Effort effort) noexcept {
  switch (effort) {
    case Reasoning::Effort::none: return 0;
    case Reasoning::Effort::minimal: return 512;
    case Reasoning::Effort::low: return 1024;
    case Reasoning::Effort::medium: return 8192;
    case Reasoning::Effort::high: return 24576;
    case Reasoning::Effort::xhigh: return 32768;
  }
  return 8192;
}

/// The least effort whose budget holds `budget_tokens`: the inverse of `budget_of` on its
/// values, and the next effort up between them.
constexpr Reasoning::Effort effort_of(std::uint32_t budget_tokens) noexcept {
  using E = Reasoning::Effort;
  for (E e : {E::none, E::minimal, E::low, E::medium, E::high})
    if (budget_tokens <= budget_of(e)) return e;
  return E::xhigh;
}

constexpr std::string_view to_string(Reasoning::Effort effort) noexcept {
  switch (effort) {
    case Reasoning::Effort::none: return "none";
    case Reasoning::Effort::minimal: return "minimal";
    case Reasoning::Effort::low: return "low";
    case Reasoning::Effort::medium: return "medium";
    case Reasoning::Effort::high: return "high";
    case Reasoning::Effort::xhigh: return "xhigh";
  }
  return "medium";
}

/// The effort OpenAI's API names `name`; none for a name it does not have.
constexpr std::optional<Reasoning::Effort> effort_from(std::string_view name) noexcept {
  using E = Reasoning::Effort;
  for (E e : {E::none, E::minimal, E::low, E::medium, E::high, E::xhigh})
    if (to_string(e) == name) return e;
  return std::nullopt;
}

/// A block of the model's reasoning, kept as its provider returned it. The signature proves
/// to that provider that the block is its own, so the block goes back only to it
/// (`Message::origin`), unchanged; another provider gets the turn without it — never a forged
/// or placeholder signature.
struct ReasoningBlock {
  /// Anthropic's `thinking` text; Gemini's thought summary.
  std::string text{};
  /// Anthropic's `signature`; Gemini's `thoughtSignature` on a thought part.
  std::string signature{};
  /// Anthropic's `redacted_thinking.data`: encrypted, opaque, sent back as it came.
  std::string redacted{};

  friend bool operator==(const ReasoningBlock&, const ReasoningBlock&) = default;
};

}  // namespace governed
