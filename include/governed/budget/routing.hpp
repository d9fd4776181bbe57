#pragma once
/// @file
/// Per-task model routing: which models a kind of task prefers, in order.
///
/// Budgets are also spent by choosing models: the application this library came from moved
/// its scraper, worker and job hunter to gpt-4o-mini (about 1/16 of gpt-4o's price per token)
/// and kept gpt-5-chat-latest only for the cover-letter writer, whose output a person reads.
/// A request that names a task and no model is routed by its kind's chain; the fallback policy
/// then walks that chain before its own.
///
/// A configuration file's `routing` is read by `model_routing_from_json` (config/json.hpp).
///
/// ```cpp
/// auto routing = governed::ModelRouting::original_application();
/// for (const auto& m : routing.chain("scraper")) ...   // openai gpt-4o-mini
/// ```

#include <governed/providers/table.hpp>
#include <governed/result.hpp>

#include <fmt/format.h>

#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace governed {

/// One model a task may use.
struct ModelChoice {
  std::string provider;
  std::string model;
  friend bool operator==(const ModelChoice&, const ModelChoice&) = default;
};

/// Task kind → preferred model chain. Not thread-safe to modify; build it, then share it
/// read-only.
class ModelRouting {
 public:
  /// The routing of the original application.
  static ModelRouting original_application() {
    ModelRouting r;
    r.route("scraper", {{"openai", "gpt-4o-mini"}});
    r.route("worker", {{"openai", "gpt-4o-mini"}});
    r.route("job_hunter", {{"openai", "gpt-4o-mini"}});
    r.route("cover_letter_writer", {{"openai", "gpt-5-chat-latest"}});
    return r;
  }

  /// Sets the chain of `kind` (an empty chain removes it).
  void route(std::string_view kind, std::vector<ModelChoice> chain) {
    if (chain.empty()) {
      if (auto it = by_kind_.find(kind); it != by_kind_.end()) by_kind_.erase(it);
      return;
    }
    by_kind_.insert_or_assign(std::string(kind), std::move(chain));
  }

  /// The chain of `kind`; empty when the kind has none (the request's own model applies).
  std::span<const ModelChoice> chain(std::string_view kind) const noexcept {
    auto it = by_kind_.find(kind);
    if (it == by_kind_.end()) return {};
    return it->second;
  }

  /// Every model named must be in `table`: a typo would otherwise surface only when that
  /// task first runs.
  Result<void> validate(const providers::Table& table) const {
    for (const auto& [kind, chain] : by_kind_)
      for (const auto& m : chain)
        if (!table.model(m.provider, m.model))
          return fail(Errc::invalid_argument,
                      fmt::format("model routing: task {} names {}/{}, which the provider table does not have",
                                  kind, m.provider, m.model));
    return {};
  }

  std::size_t size() const noexcept { return by_kind_.size(); }

 private:
  std::map<std::string, std::vector<ModelChoice>, std::less<>> by_kind_;
};

}  // namespace governed
