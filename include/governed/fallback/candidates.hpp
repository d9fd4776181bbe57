#pragma once
/// @file
/// What a fallback policy plans: the (provider, model) pairs a call will try, in order.

#include <governed/providers/table.hpp>

#include <boost/container/static_vector.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace governed::fallback {

/// The request as planning sees it: where it asked to go and how big it is.
struct PlanInput {
  std::string_view provider;
  std::string_view model;
  std::uint64_t prompt_tokens = 0;      ///< estimated before the call
  std::uint64_t max_output_tokens = 0;  ///< n × max_tokens

  std::uint64_t total() const noexcept { return prompt_tokens + max_output_tokens; }
};

struct Candidate {
  const providers::Provider* provider = nullptr;
  const providers::Model* model = nullptr;
};

/// Whether a model's context window holds the request (prompt and the whole output). A model
/// with an unknown window (0) is assumed to hold it: the provider will say otherwise.
inline bool fits(const providers::Model& m, const PlanInput& in) noexcept {
  return m.context_window <= 0 || static_cast<std::uint64_t>(m.context_window) >= in.total();
}

/// The worst-case price of the request on a model, in USD: prompt at the input price, the whole
/// output at the output price. Orders candidates for `cheapest_first` and `context_fit`.
inline double worst_case_cost(const providers::Model& m, const PlanInput& in) noexcept {
  return (static_cast<double>(in.prompt_tokens) * m.price.input +
          static_cast<double>(in.max_output_tokens) * m.price.output) / 1e6;
}

/// An ordered plan of at most `capacity` candidates, without duplicates, held inline: planning
/// a call allocates nothing, and starting one writes nothing to the slots it does not use.
class Candidates {
 public:
  static constexpr std::size_t capacity = 48;

  /// Appends `c` unless it is already planned or the plan is full; says whether it was added.
  bool add(const Candidate& c) noexcept {
    if (c.provider == nullptr || c.model == nullptr || items_.size() == capacity) return false;
    for (const auto& have : items_)
      if (have.model == c.model) return false;
    items_.push_back(c);
    return true;
  }

  const Candidate* begin() const noexcept { return items_.data(); }
  const Candidate* end() const noexcept { return items_.data() + items_.size(); }
  Candidate* begin() noexcept { return items_.data(); }
  Candidate* end() noexcept { return items_.data() + items_.size(); }
  std::size_t size() const noexcept { return items_.size(); }
  bool empty() const noexcept { return items_.empty(); }
  const Candidate& operator[](std::size_t i) const noexcept { return items_[i]; }

 private:
  boost::container::static_vector<Candidate, capacity> items_;
};

/// A policy whose plan always begins with the requested model when it fits (it says so with
/// `static constexpr bool origin_first = true`): a call asks it for the rest only when the
/// requested model does not answer.
template <class Policy>
concept origin_first = requires { requires Policy::origin_first; };

namespace detail {

/// Adds `model` of `provider` when the table knows it, it fits, and `usable` accepts it.
template <class Usable>
void offer(Candidates& out, const providers::Table& table, const providers::Provider* provider,
           std::string_view model, const PlanInput& in, Usable& usable) {
  if (provider == nullptr) return;
  const providers::Model* m = table.model(*provider, model);
  if (m == nullptr || !fits(*m, in) || !usable(*provider, *m)) return;
  out.add(Candidate{provider, m});
}

/// The provider's fallback chain from `model` onwards (all of it when `model` is not in it).
inline std::pair<std::size_t, std::size_t> chain_from(const providers::Provider& p, std::string_view model) {
  for (std::size_t i = 0; i < p.fallback_models.size(); ++i)
    if (p.fallback_models[i] == model) return {i, p.fallback_models.size()};
  return {0, p.fallback_models.size()};
}

}  // namespace detail

}  // namespace governed::fallback
