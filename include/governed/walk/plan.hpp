#pragma once
/// @file
/// The walk's plan step: where a call begins (`find_origin`), how many tokens it is reckoned
/// to take and what it needs of a model (`estimate_call`), and the candidates it tries in
/// order (`plan_first`, `plan_rest`). Functions of the provider table, the request and the fallback policy: no
/// State, no clock; tests/walk/plan.cpp drives them directly.

#include <governed/budget/routing.hpp>
#include <governed/error.hpp>
#include <governed/fallback/candidates.hpp>
#include <governed/providers/messages.hpp>
#include <governed/providers/table.hpp>
#include <governed/providers/tokens.hpp>
#include <governed/request.hpp>
#include <governed/request_needs.hpp>
#include <governed/result.hpp>

#include <algorithm>
#include <cstdint>
#include <span>
#include <string_view>

namespace governed::walk {

/// Where a call begins: the provider and model it asked for, or that its task's route chose.
struct Origin {
  const providers::Provider* provider = nullptr;
  const providers::Model* model = nullptr;
};

/// The origin of `request` in `table`. `route` is the request's task route when the request
/// names no model (a request that names its model goes to that model, whatever its task: the
/// route is a default, not an override); its first choice is then the origin. Refused for a
/// provider or model the table does not list, and for a request without messages. Always
/// inlined: every call begins so.
[[gnu::always_inline]] inline Result<Origin> find_origin(const providers::Table& table,
                                                        std::span<const ModelChoice> route, const Request& request) {
  std::string_view provider = request.provider, model = request.model;
  if (!route.empty()) {
    provider = route.front().provider;
    model = route.front().model;
  }
  const providers::Provider* p = table.provider(provider);
  if (!p) return fail(Errc::invalid_argument, providers::unknown_provider_message(provider));
  const providers::Model* m = table.model(*p, model);
  if (!m) return fail(Errc::invalid_argument, providers::unknown_model_message(p->display, model));
  if (request.messages.empty()) return fail(Errc::invalid_argument, "a request needs at least one message");
  return Origin{p, m};
}

/// A call's token estimate, and its prompt figure before the calibration corrected it, in its
/// two parts (a reply is compared with that one, so the correction does not feed on itself);
/// and what the call needs of a model (request_needs.hpp), reckoned with it.
struct Estimate {
  providers::TokenEstimate tokens{};
  std::int64_t raw_prompt = 0;      ///< the text part, uncorrected
  std::int64_t prompt_by_rule = 0;  ///< images, pages, the tool prompt: never corrected
  Needs needs{};
};

/// The estimate of `request` with `origin`'s parameters — every candidate is close enough to
/// it for planning, and each admission uses the same figure — its text part corrected by
/// `calibration` (what the model's replies reported; none: uncorrected), and raised to `floor`
/// tokens in all (the provider's configured least per call; 0: none). The needs cost a
/// text-only message one test more (`add_needs_of`). Always inlined: every call makes one.
[[gnu::always_inline]] inline Estimate estimate_call(const providers::Model& origin, const Request& request,
                                                    const providers::ModelCalibration* calibration,
                                                    std::uint64_t floor) {
  Estimate e;
  const providers::PromptEstimate prompt = providers::estimate_prompt_parts(origin.estimate, request);
  e.tokens = {prompt.total(), std::int64_t{request.max_tokens} * std::max<std::int64_t>(1, request.n)};
  e.needs = needs_of(request);
  e.raw_prompt = prompt.text;
  e.prompt_by_rule = prompt.by_rule;
  if (calibration) e.tokens.prompt = calibration->adjust(prompt.text) + prompt.by_rule;
  if (floor > 0 && static_cast<std::uint64_t>(e.tokens.total()) < floor)
    e.tokens.prompt = static_cast<std::int64_t>(floor) - e.tokens.completion;
  return e;
}

/// What the fallback policy plans from: the origin and the estimate.
inline fallback::PlanInput plan_input(const Origin& origin, const providers::TokenEstimate& tokens) noexcept {
  return fallback::PlanInput{origin.provider->name, origin.model->name, static_cast<std::uint64_t>(tokens.prompt),
                             static_cast<std::uint64_t>(tokens.completion)};
}

/// The fallback policy's candidates after those already in `plan`.
template <class Fallback>
void plan_rest(const Fallback& fallback, const providers::Table& table, const fallback::PlanInput& in,
               fallback::Candidates& plan) {
  auto any = [](const providers::Provider&, const providers::Model&) { return true; };
  for (const auto& c : fallback.plan(table, in, any)) plan.add(c);
}

/// The plan a call starts with, into `plan`: the route's models that fit first; then, for a
/// policy that always begins with the requested model (`fallback::origin_first`) and no route,
/// the origin alone — the rest is asked for only when the walk moves on, and this returns
/// false (the rest is still to plan) — else the policy's whole order. Whether a candidate can
/// serve the call now (tier, cooldowns, keys) is asked only when the walk reaches it.
template <class Fallback>
bool plan_first(const Fallback& fallback, const providers::Table& table, std::span<const ModelChoice> route,
                const Origin& origin, const fallback::PlanInput& in, fallback::Candidates& plan) {
  for (const auto& choice : route) {
    const auto* p = table.provider(choice.provider);
    const auto* m = table.model(choice.provider, choice.model);
    if (p && m && fallback::fits(*m, in)) plan.add({p, m});
  }
  if constexpr (fallback::origin_first<Fallback>) {
    if (plan.empty() && fallback::fits(*origin.model, in)) {
      plan.add({origin.provider, origin.model});
      return false;
    }
  }
  plan_rest(fallback, table, in, plan);
  return true;
}

}  // namespace governed::walk
