#pragma once
/// @file
/// What a model can carry beyond plain text: tools, images, documents, structured output,
/// reasoning, and the finer points a fallback trips on. The provider table states them per
/// provider, and per model where a model differs (docs/providers.md); a call states what it
/// needs (request_needs.hpp), and a candidate whose model lacks any of it is skipped with a
/// `skipped` event before any key or admission, never sent to fail with a 400.
///
/// A `Capabilities` is a small bitset: checking a candidate is one AND, which finds nothing
/// missing for a call that needs nothing beyond text.
///
/// ```cpp
/// using governed::providers::Capability;
/// const auto lacking = model.capabilities.missing(Capabilities{Capability::tools, Capability::documents});
/// if (!lacking.empty()) std::puts(to_string(lacking).c_str());   // "documents"
/// ```

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace governed::providers {

/// One thing a model can carry. The names (`to_string`) are the table's.
enum class Capability : std::uint16_t {
  tools,                  ///< function definitions and tool calls
  parallel_tool_control,  ///< a switch for at most one tool call per turn (Gemini has none)
  vision,                 ///< images in a user's turn
  image_urls,             ///< images by URL, fetched by the provider (else: bytes only)
  documents,              ///< documents (PDF) as parts
  json_mode,              ///< any JSON object as the answer
  json_schema,            ///< JSON under a given schema
  json_schema_strict,     ///< held to the schema exactly (constrained decoding)
  reasoning_effort,       ///< thinking asked for as an effort (OpenAI's form)
  reasoning_budget,       ///< thinking asked for as a token budget (Anthropic's, Gemini's form)
  prompt_cache_marks,     ///< cache breakpoints placed by the caller (Anthropic's `cache_control`)
  seed,                   ///< a sampling seed (advisory: never a need, see request_needs.hpp)
  thinking_with_forced_tool,  ///< thinking while a tool call is forced (Anthropic refuses it)
  tool_result_images,         ///< images inside a tool's result (OpenAI's tool messages are text)
  verbatim_tool_arguments,    ///< a history tool call whose arguments are not a JSON object, kept as the string
  /// Documents by URL, fetched by the provider. OpenAI's chat `file` part takes bytes or an
  /// uploaded file's id only, so a document given by URL is a need of its own, as an image's is.
  document_urls,
};

inline constexpr std::size_t capability_count = 16;

namespace detail {

inline constexpr std::array<std::string_view, capability_count> capability_names = {
    "tools",           "parallel_tool_control", "vision",           "image_urls",
    "documents",       "json_mode",             "json_schema",      "json_schema_strict",
    "reasoning_effort", "reasoning_budget",     "prompt_cache_marks", "seed",
    "thinking_with_forced_tool", "tool_result_images", "verbatim_tool_arguments", "document_urls"};

constexpr std::uint32_t capability_bit(Capability c) noexcept { return std::uint32_t{1} << static_cast<unsigned>(c); }

/// A call that thinks names both forms; a model with either carries it (`Capabilities::missing`).
inline constexpr std::uint32_t reasoning_forms =
    capability_bit(Capability::reasoning_effort) | capability_bit(Capability::reasoning_budget);

}  // namespace detail

/// The table's name of `c`.
constexpr std::string_view to_string(Capability c) noexcept {
  const auto i = static_cast<std::size_t>(c);
  return i < capability_count ? detail::capability_names[i] : std::string_view("unknown");
}

/// The capability the table names `name`; none for a name it does not have.
constexpr std::optional<Capability> capability_from(std::string_view name) noexcept {
  for (std::size_t i = 0; i < capability_count; ++i)
    if (detail::capability_names[i] == name) return static_cast<Capability>(i);
  return std::nullopt;
}

/// A set of capabilities: what a model has, or what a call needs.
class Capabilities {
 public:
  constexpr Capabilities() noexcept = default;
  constexpr Capabilities(std::initializer_list<Capability> cs) noexcept {
    for (auto c : cs) bits_ |= detail::capability_bit(c);
  }

  constexpr bool has(Capability c) const noexcept { return (bits_ & detail::capability_bit(c)) != 0; }
  constexpr bool empty() const noexcept { return bits_ == 0; }
  /// This set and `c`.
  constexpr Capabilities with(Capability c) const noexcept { return Capabilities(bits_ | detail::capability_bit(c)); }

  /// What of `needed` this set lacks: empty when it has all of it. One AND for a call that
  /// needs nothing a model may lack.
  ///
  /// Reasoning is needed in both forms at once (needs_of), and a model with either carries
  /// it: the provider's encoder converts an effort to a budget and back (reasoning.hpp), so
  /// only a model with neither lacks it, and then lacks both.
  constexpr Capabilities missing(const Capabilities& needed) const noexcept {
    std::uint32_t lacking = needed.bits_ & ~bits_;
    if (lacking == 0) [[likely]] return {};
    using detail::reasoning_forms;
    if ((needed.bits_ & reasoning_forms) == reasoning_forms && (bits_ & reasoning_forms) != 0)
      lacking &= ~reasoning_forms;
    return Capabilities(lacking);
  }

  /// The capabilities in the set, in the enum's order.
  std::vector<Capability> list() const {
    std::vector<Capability> out;
    for (std::size_t i = 0; i < capability_count; ++i)
      if (bits_ & (std::uint32_t{1} << i)) out.push_back(static_cast<Capability>(i));
    return out;
  }

  /// Their names, in the enum's order: what the table writes.
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (auto c : list()) out.emplace_back(to_string(c));
    return out;
  }

  friend constexpr bool operator==(const Capabilities&, const Capabilities&) = default;

 private:
  constexpr explicit Capabilities(std::uint32_t bits) noexcept : bits_(bits) {}

  std::uint32_t bits_ = 0;
};

/// The set as people read it in a message: names joined by ", ", the two forms of reasoning
/// as one need ("reasoning_effort or reasoning_budget").
inline std::string to_string(const Capabilities& set) {
  std::string out;
  const bool either_reasoning = set.has(Capability::reasoning_effort) && set.has(Capability::reasoning_budget);
  for (auto c : set.list()) {
    if (either_reasoning && c == Capability::reasoning_budget) continue;
    if (!out.empty()) out += ", ";
    out += to_string(c);
    if (either_reasoning && c == Capability::reasoning_effort) out += " or reasoning_budget";
  }
  return out;
}

}  // namespace governed::providers
