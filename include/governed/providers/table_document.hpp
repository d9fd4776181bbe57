#pragma once
/// @file
/// The provider table as written: each provider and model with the fields its document gives,
/// a field left out held as absent, before defaults and inheritance are applied.
///
/// A `Table` is resolved from one of these (`Table::from_document`), which checks every
/// value; the table keeps it, because an override patches what was written, not what was
/// resolved: a model that leaves out `estimate.tokens_per_message` takes its provider's,
/// so an override of the provider's changes the model's too. The built-in table is one of
/// these written in C++ (table_data.hpp); providers/table_json.hpp reads and writes one as
/// JSON. Absent and empty differ (`"fallback": {"models": []}` is written back as it was).
///
/// Entries keep the order the table resolves them in: providers, their models and a model's
/// tiers each by name, as a JSON object's members are read.

#include <governed/providers/model.hpp>
#include <governed/providers/provider.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace governed::providers {

/// A list of names as written: models, providers, tags, limit scopes.
using Names = std::vector<std::string>;

/// `estimate`: each parameter left out is inherited (a model's from its provider's, a
/// provider's from `EstimateParams{}`).
struct EstimateEntry {
  std::optional<double> letters_per_token{};
  std::optional<std::int64_t> tokens_per_message{};
  std::optional<std::int64_t> tokens_per_reply{};
  std::optional<ImageRule> image{};  ///< JSON: its name, one of `image_rule_names`
  std::optional<double> image_patch_multiplier{};
  std::optional<std::int64_t> tokens_per_tool{};
  std::optional<std::int64_t> tool_prompt_tokens{};
  std::optional<std::int64_t> tokens_per_document_page{};
  friend bool operator==(const EstimateEntry&, const EstimateEntry&) = default;
};

/// `price`, USD per million tokens; without its own `as_of` it is as of the model.
struct PriceEntry {
  double input = 0;
  double output = 0;
  std::optional<double> cached_input{};
  std::optional<double> cache_write{};
  std::optional<std::string> as_of{};
  friend bool operator==(const PriceEntry&, const PriceEntry&) = default;
};

/// One entry of a model's `tiers`: its caps (a cap left out is `Cap::State::unpublished`), or
/// `available = false` for a tier written as "unavailable".
struct TierEntry {
  std::string name;
  bool available = true;
  Cap rpm{}, tpm{}, rpd{}, tpd{}, itpm{}, otpm{};
  std::optional<std::string> as_of{};  ///< without it, as of the model
  friend bool operator==(const TierEntry&, const TierEntry&) = default;
};

struct ModelEntry {
  std::string name;
  std::int64_t context_window = 0;
  std::int64_t max_output_tokens = 0;
  PriceEntry price{};
  std::optional<std::vector<TierEntry>> tiers{};
  std::optional<Names> tags{};
  std::optional<EstimateEntry> estimate{};
  /// Replaces the provider's list for this model when written (an empty list: none), with the
  /// date of the pages that said so; without it, the model's `as_of`.
  std::optional<Names> capabilities{};
  std::optional<std::string> capabilities_as_of{};
  std::string as_of;
  std::optional<std::string> retired{};
  std::optional<std::string> note{};
  friend bool operator==(const ModelEntry&, const ModelEntry&) = default;
};

/// `daily_reset`: a rule, and for `midnight` the IANA time zone it is midnight in.
struct DailyResetEntry {
  DailyReset::Rule rule = DailyReset::Rule::rolling;
  std::optional<std::string> time_zone{};
  friend bool operator==(const DailyResetEntry&, const DailyResetEntry&) = default;
};

/// `fallback`: the chains of models of this provider and of other providers.
struct FallbackEntry {
  std::optional<Names> models{};
  std::optional<Names> providers{};
  friend bool operator==(const FallbackEntry&, const FallbackEntry&) = default;
};

struct ProviderEntry {
  std::string name;
  std::optional<std::string> display{};   ///< without it, the name
  std::optional<std::string> base_url{};
  std::optional<AuthStyle> auth{};        ///< without it, bearer
  std::optional<Dialect> dialect{};       ///< without it, openai
  std::optional<HeaderFamily> headers{};  ///< without it, openai
  /// The windows the limit headers count in: one of a second, a minute, an hour or a day.
  std::optional<std::chrono::seconds> requests_window{};
  std::optional<std::chrono::seconds> tokens_window{};
  std::optional<DailyResetEntry> daily_reset{};  ///< without it, rolling
  std::optional<Names> limits_per{};             ///< account, key, model
  std::optional<EstimateEntry> estimate{};
  std::optional<FallbackEntry> fallback{};
  /// What the provider's models carry (providers/capabilities.hpp names), and the date of the
  /// pages that said so; without it, the provider's `as_of`.
  std::optional<Names> capabilities{};
  std::optional<std::string> capabilities_as_of{};
  std::string as_of;
  std::optional<std::string> note{};
  std::optional<std::vector<ModelEntry>> models{};
  friend bool operator==(const ProviderEntry&, const ProviderEntry&) = default;
};

struct TableDocument {
  std::vector<ProviderEntry> providers;
  friend bool operator==(const TableDocument&, const TableDocument&) = default;
};

}  // namespace governed::providers
