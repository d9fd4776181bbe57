#pragma once
/// @file
/// The provider table: providers, their models, prices, limits per tier, fallback chains,
/// error dialects, header formats and daily-reset rules.
///
/// A table is resolved from a `TableDocument` (table_document.hpp: the table as written),
/// which `Table::from_document` checks whole: every complaint names the JSON pointer of its
/// field, as the document would be written in JSON, so an error in an override file and one
/// in a table built in code read alike. The built-in table (`builtin_table()`) is the
/// document of table_data.hpp, resolved once. Reading a table or an override from JSON is
/// table_json.hpp's (the umbrella includes it): this header needs no JSON library.
///
/// ```cpp
/// auto t = governed::providers::load_override_file(builtin_table(), "providers.json");
/// if (!t) std::puts(t.error().message.c_str());   // "providers.json: /providers/groq/..."
/// ```

#include <governed/error.hpp>
#include <governed/providers/model.hpp>
#include <governed/providers/provider.hpp>
#include <governed/providers/table_data.hpp>
#include <governed/providers/table_document.hpp>
#include <governed/result.hpp>

#include <date/date.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace governed::providers {

namespace detail {

/// `s` as one JSON pointer reference token: `~` and `/` escaped (RFC 6901).
inline std::string pointer_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

/// Whether two names are the same: the lengths, then the first letters, before the bytes.
/// Every call looks its provider and model up by name, and names of one length are common
/// (gemini and openai, gpt-4-turbo and gpt-4o-mini): each compare of equal lengths is a call
/// of memcmp that the first letter mostly spares.
inline bool same_name(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && (a.empty() || a.front() == b.front()) && a == b;
}

/// The first problem found in a table, named by the JSON pointer of its field and the
/// document's source; later problems are not recorded (one clear error, not a cascade).
class TableProblems {
 public:
  explicit TableProblems(std::string_view source) : source_(source) {}

  std::optional<Error> error;

  void fail_at(const std::string& ptr, std::string_view what) {
    if (!error) error = Error{Errc::invalid_argument, fmt::format("{}: {}: {}", source_, ptr.empty() ? "/" : ptr, what)};
  }

  /// A date, when written, must be YYYY-MM-DD (an empty one counts as not written).
  void date(const std::optional<std::string>& s, const std::string& ptr) {
    if (!s || s->empty()) return;
    std::istringstream in(*s);
    date::year_month_day ymd{};
    in >> date::parse("%F", ymd);
    if (in.fail() || !ymd.ok() || s->size() != 10) fail_at(ptr, "must be a date YYYY-MM-DD");
  }

  /// A price or a ratio: finite and not negative.
  bool non_negative(double v, const std::string& ptr) {
    if (std::isfinite(v) && v >= 0) return true;
    fail_at(ptr, "must be a non-negative number");
    return false;
  }

  void positive(std::int64_t v, const std::string& ptr) {
    if (v < 1) fail_at(ptr, "must be a positive integer");
  }

  /// 0 is refused: it would read as "no limit" to the limiter, the opposite of what it says.
  void cap(const Cap& c, const std::string& ptr) {
    if (c.state == Cap::State::limited && c.value < 1)
      fail_at(ptr, "must be a positive integer, \"unlimited\" or \"unavailable\"");
  }

 private:
  std::string source_;
};

}  // namespace detail

/// The whole table. A table holds tens of models and a handful of providers; every call looks
/// its model up by name, so each provider's models are one contiguous range (`from_document`
/// adds them provider by provider) and a lookup compares names only within it: with the
/// built-in table that is a few compares instead of a scan of every model.
class Table {
 public:
  const std::vector<Provider>& providers() const noexcept { return providers_; }
  const std::vector<Model>& models() const noexcept { return models_; }
  /// The document the table was resolved from, as written (sorted by name): what an
  /// override patches (table_json.hpp).
  const TableDocument& document() const noexcept { return document_; }

  const Provider* provider(std::string_view name) const noexcept {
    for (const auto& p : providers_)
      if (detail::same_name(p.name, name)) return &p;
    return nullptr;
  }
  const Model* model(std::string_view provider, std::string_view name) const noexcept {
    const Provider* p = this->provider(provider);
    return p ? model(*p, name) : nullptr;
  }
  /// The model `name` of `p`, which must be this table's.
  const Model* model(const Provider& p, std::string_view name) const noexcept {
    const auto i = index_of(p);
    if (!i) return nullptr;
    for (std::size_t m = ranges_[*i].first; m < ranges_[*i].second; ++m)
      if (detail::same_name(models_[m].name, name)) return &models_[m];
    return nullptr;
  }
  /// The position of `p` in `providers()`, when it is this table's (not a copy's).
  std::optional<std::size_t> index_of(const Provider& p) const noexcept { return position(providers_, p); }
  /// The position of `m` in `models()`, when it is this table's (not a copy's).
  std::optional<std::size_t> index_of(const Model& m) const noexcept { return position(models_, m); }
  /// The first model of that name at any provider.
  const Model* find_model(std::string_view name) const noexcept {
    for (const auto& m : models_)
      if (m.name == name) return &m;
    return nullptr;
  }
  /// The tier names the models of `provider` list, in the order they first appear: the names
  /// a configuration may choose from. Empty when the provider publishes no tiers (Azure,
  /// Mistral, OpenRouter: their limits are the user's to set).
  std::vector<std::string> tiers_of(std::string_view provider) const {
    std::vector<std::string> out;
    for (const auto& m : models_)
      if (m.provider == provider)
        for (const auto& t : m.tiers)
          if (std::find(out.begin(), out.end(), t.name) == out.end()) out.push_back(t.name);
    return out;
  }

  std::vector<const Model*> models_of(std::string_view provider) const {
    std::vector<const Model*> out;
    for (const auto& m : models_)
      if (m.provider == provider) out.push_back(&m);
    return out;
  }

  /// Resolves and checks a table document: defaults and inheritance applied (a model's
  /// estimate from its provider's, a price's or tier's date from its model's), every value in
  /// range, every fallback chain naming what the table has. Providers, their models and each
  /// model's tiers are ordered by name, however `doc` lists them. `source` starts each error.
  static Result<Table> from_document(TableDocument doc, std::string_view source);

  friend bool operator==(const Table&, const Table&) = default;

 private:
  /// The position of `x` in `v`, when it is one of its elements. Compared as addresses
  /// (integers), since `x` may belong to another table: one subtraction and one compare, as
  /// every call asks this of its provider and model several times.
  template <class T>
  static std::optional<std::size_t> position(const std::vector<T>& v, const T& x) noexcept {
    const auto offset = reinterpret_cast<std::uintptr_t>(&x) - reinterpret_cast<std::uintptr_t>(v.data());
    if (offset >= v.size() * sizeof(T)) return std::nullopt;
    return static_cast<std::size_t>(offset / sizeof(T));
  }

  /// Records the first fallback chain entry that names a model or provider this table does
  /// not have (a provider may not name itself).
  void check_fallback_chains(detail::TableProblems& r) const;

  std::vector<Provider> providers_;
  std::vector<Model> models_;
  /// Per provider (same order), its models' positions [first, second) in `models_`.
  std::vector<std::pair<std::size_t, std::size_t>> ranges_;
  TableDocument document_;
};

namespace detail {

/// The window lengths a provider's limit headers may count in, in seconds, by name.
inline constexpr std::pair<std::string_view, int> window_names[] = {
    {"second", 1}, {"minute", 60}, {"hour", 3600}, {"day", 86400}};

/// `written` over `base`: each parameter written replaces the inherited one.
inline EstimateParams resolve_estimate(TableProblems& r, const std::optional<EstimateEntry>& written,
                                       const std::string& ptr, EstimateParams base) {
  if (!written) return base;
  const std::string p = ptr + "/estimate";
  if (const auto& c = written->letters_per_token; c && r.non_negative(*c, p + "/letters_per_token")) {
    if (*c < 0.5 || *c > 20) r.fail_at(p + "/letters_per_token", "must be between 0.5 and 20");
    base.letters_per_token = *c;
  }
  // Capped: a framing overhead beyond 1 000 tokens is a typo, not a tokenizer; a page beyond
  // 100 000 the same.
  auto count = [&](const std::optional<std::int64_t>& v, std::string_view name, int& into, std::int64_t cap = 1000) {
    if (!v) return;
    if (*v < 0) r.fail_at(p + "/" + std::string(name), "must be a non-negative integer");
    else into = int(std::min<std::int64_t>(*v, cap));
  };
  count(written->tokens_per_message, "tokens_per_message", base.tokens_per_message);
  count(written->tokens_per_reply, "tokens_per_reply", base.tokens_per_reply);
  count(written->tokens_per_tool, "tokens_per_tool", base.tokens_per_tool);
  count(written->tool_prompt_tokens, "tool_prompt_tokens", base.tool_prompt_tokens);
  count(written->tokens_per_document_page, "tokens_per_document_page", base.tokens_per_document_page, 100'000);
  if (const auto& rule = written->image) {
    // A document written in code may hold any value of the enum's type.
    if (static_cast<std::size_t>(*rule) >= image_rule_names.size()) r.fail_at(p + "/image", "unknown image rule");
    else base.image = *rule;
  }
  if (const auto& m = written->image_patch_multiplier) {
    // OpenAI's multipliers are 1.62 and 2.46; past 100 the figure is a typo.
    if (!(*m > 0 && *m <= 100)) r.fail_at(p + "/image_patch_multiplier", "must be a number above 0, at most 100");
    else base.image_patch_multiplier = *m;
  }
  return base;
}

/// The daily reset at `pp`: for midnight, the time zone, which the time-zone database must
/// know.
inline DailyReset resolve_daily_reset(TableProblems& r, const std::optional<DailyResetEntry>& written,
                                      const std::string& pp) {
  DailyReset out;
  if (!written || written->rule != DailyReset::Rule::midnight) return out;
  const std::string dp = pp + "/daily_reset";
  out.rule = DailyReset::Rule::midnight;
  if (!written->time_zone) {
    r.fail_at(dp + "/time_zone", "missing");
    return out;
  }
  out.time_zone = *written->time_zone;
  try {
    out.zone = date::locate_zone(out.time_zone);
  } catch (const std::exception&) {
    r.fail_at(dp + "/time_zone", "unknown time zone");
  }
  return out;
}

/// A header window written as a length in seconds: one of `window_names`.
inline std::optional<Duration> resolve_window(TableProblems& r, const std::optional<std::chrono::seconds>& written,
                                              const std::string& ptr) {
  if (!written) return std::nullopt;
  for (const auto& [name, seconds] : window_names)
    if (written->count() == seconds) return Duration{*written};
  r.fail_at(ptr, "must be one of second, minute, hour, day");
  return std::nullopt;
}

/// The capabilities named at `ptr`; an unknown name is an error naming it and its place.
inline Capabilities resolve_capabilities(TableProblems& r, const Names& written, const std::string& ptr) {
  Capabilities out;
  for (std::size_t i = 0; i < written.size(); ++i) {
    if (const auto c = capability_from(written[i])) out = out.with(*c);
    else r.fail_at(ptr + "/" + std::to_string(i), fmt::format("unknown capability \"{}\"", written[i]));
  }
  return out;
}

/// The provider at `pp`, all but its models.
inline Provider resolve_provider(TableProblems& r, const ProviderEntry& e, const std::string& pp) {
  Provider p;
  p.name = e.name;
  p.display = e.display.value_or("");
  if (p.display.empty()) p.display = e.name;
  p.base_url = e.base_url.value_or("");
  p.auth = e.auth.value_or(AuthStyle::bearer);
  p.dialect = e.dialect.value_or(Dialect::openai);
  p.headers = e.headers.value_or(HeaderFamily::openai);
  p.windows.requests = resolve_window(r, e.requests_window, pp + "/requests_window");
  p.windows.tokens = resolve_window(r, e.tokens_window, pp + "/tokens_window");
  p.daily_reset = resolve_daily_reset(r, e.daily_reset, pp);
  for (const auto& s : e.limits_per.value_or(Names{})) {
    if (s == "account") p.limits_per_account = true;
    else if (s == "key") p.limits_per_key = true;
    else if (s == "model") p.limits_per_model = true;
    else r.fail_at(pp + "/limits_per", "entries must be account, key or model");
  }
  p.estimate = resolve_estimate(r, e.estimate, pp, EstimateParams{});
  if (e.capabilities) p.capabilities = resolve_capabilities(r, *e.capabilities, pp + "/capabilities");
  r.date(e.capabilities_as_of, pp + "/capabilities_as_of");
  if (e.fallback) {
    p.fallback_models = e.fallback->models.value_or(Names{});
    p.fallback_providers = e.fallback->providers.value_or(Names{});
  }
  r.date(e.as_of, pp + "/as_of");
  p.as_of = e.as_of;
  p.note = e.note.value_or("");
  return p;
}

/// The model's price at `mp`; a price without its own date is as of the model.
inline Price resolve_price(TableProblems& r, const PriceEntry& e, const std::string& mp, const std::string& model_as_of) {
  const std::string prp = mp + "/price";
  Price price{e.input, e.output, e.cached_input, e.cache_write, e.as_of.value_or("")};
  r.non_negative(e.input, prp + "/input");
  r.non_negative(e.output, prp + "/output");
  if (e.cached_input) r.non_negative(*e.cached_input, prp + "/cached_input");
  if (e.cache_write) r.non_negative(*e.cache_write, prp + "/cache_write");
  r.date(e.as_of, prp + "/as_of");
  if (price.as_of.empty()) price.as_of = model_as_of;
  return price;
}

/// The model's tiers at `mp`: each a set of caps, or unavailable; a tier without its own date
/// is as of the model.
inline std::vector<TierLimits> resolve_tiers(TableProblems& r, const std::vector<TierEntry>& written,
                                             const std::string& mp, const std::string& model_as_of) {
  std::vector<TierLimits> tiers;
  for (const auto& e : written) {
    const std::string tp = mp + "/tiers/" + pointer_escape(e.name);
    TierLimits tl;
    tl.name = e.name;
    tl.as_of = model_as_of;
    tl.available = e.available;
    if (e.available) {
      const std::pair<const Cap*, Cap*> caps[] = {{&e.rpm, &tl.rpm}, {&e.tpm, &tl.tpm},   {&e.rpd, &tl.rpd},
                                                  {&e.tpd, &tl.tpd}, {&e.itpm, &tl.itpm}, {&e.otpm, &tl.otpm}};
      const char* names[] = {"rpm", "tpm", "rpd", "tpd", "itpm", "otpm"};
      for (std::size_t i = 0; i < std::size(caps); ++i) {
        r.cap(*caps[i].first, tp + "/" + names[i]);
        *caps[i].second = *caps[i].first;
      }
      r.date(e.as_of, tp + "/as_of");
      if (e.as_of && !e.as_of->empty()) tl.as_of = *e.as_of;
    }
    tiers.push_back(std::move(tl));
  }
  return tiers;
}

/// The model `e` of `provider` at `mp`.
inline Model resolve_model(TableProblems& r, const Provider& provider, const ModelEntry& e, const std::string& mp) {
  Model m;
  m.name = e.name;
  m.provider = provider.name;
  m.context_window = e.context_window;
  m.max_output_tokens = e.max_output_tokens;
  r.positive(e.context_window, mp + "/context_window");
  r.positive(e.max_output_tokens, mp + "/max_output_tokens");
  r.date(e.as_of, mp + "/as_of");
  m.as_of = e.as_of;
  m.price = resolve_price(r, e.price, mp, m.as_of);
  if (e.tiers) m.tiers = resolve_tiers(r, *e.tiers, mp, m.as_of);
  m.tags = e.tags.value_or(Names{});
  for (std::size_t i = 0; i < m.tags.size(); ++i) {
    const auto& tag = m.tags[i];
    if (tag != "primary" && tag != "fallback" && tag != "budget" && tag != "large_context")
      r.fail_at(mp + "/tags/" + std::to_string(i), "must be one of primary, fallback, budget, large_context");
  }
  m.estimate = resolve_estimate(r, e.estimate, mp, provider.estimate);
  // A model's own list replaces its provider's whole: a model that lacks one thing its
  // siblings have is written with what it has.
  m.capabilities = e.capabilities ? resolve_capabilities(r, *e.capabilities, mp + "/capabilities") : provider.capabilities;
  r.date(e.capabilities_as_of, mp + "/capabilities_as_of");
  r.date(e.retired, mp + "/retired");
  m.retired = e.retired;
  m.note = e.note.value_or("");
  return m;
}

/// Sorts `v` by name, as a JSON object's members are read, and reports the first name
/// written twice at `ptr` + "/" + name: a document in code can say what JSON can not.
template <class Entry>
void order_by_name(TableProblems& r, std::vector<Entry>& v, const std::string& ptr) {
  std::stable_sort(v.begin(), v.end(), [](const Entry& a, const Entry& b) { return a.name < b.name; });
  const auto twice = std::adjacent_find(v.begin(), v.end(), [](const Entry& a, const Entry& b) { return a.name == b.name; });
  if (twice != v.end()) r.fail_at(ptr + "/" + pointer_escape(twice->name), "written twice");
}

/// `doc` with its providers, models and tiers ordered by name (see `order_by_name`).
inline void order_document(TableProblems& r, TableDocument& doc) {
  order_by_name(r, doc.providers, "/providers");
  for (auto& p : doc.providers) {
    const std::string pp = "/providers/" + pointer_escape(p.name);
    if (!p.models) continue;
    order_by_name(r, *p.models, pp + "/models");
    for (auto& m : *p.models)
      if (m.tiers) order_by_name(r, *m.tiers, pp + "/models/" + pointer_escape(m.name) + "/tiers");
  }
}

}  // namespace detail

inline Result<Table> Table::from_document(TableDocument doc, std::string_view source) {
  detail::TableProblems r(source);
  detail::order_document(r, doc);
  if (r.error) return tl::unexpected(*r.error);
  Table t;
  for (const auto& pe : doc.providers) {
    const std::string pp = "/providers/" + detail::pointer_escape(pe.name);
    Provider p = detail::resolve_provider(r, pe, pp);
    // Each provider's models are one contiguous range of `models_` (see the class comment).
    const std::size_t first_model = t.models_.size();
    for (const auto& me : pe.models.value_or(std::vector<ModelEntry>{}))
      t.models_.push_back(detail::resolve_model(r, p, me, pp + "/models/" + detail::pointer_escape(me.name)));
    t.ranges_.emplace_back(first_model, t.models_.size());
    t.providers_.push_back(std::move(p));
    if (r.error) return tl::unexpected(*r.error);
  }
  t.check_fallback_chains(r);
  if (r.error) return tl::unexpected(*r.error);
  t.document_ = std::move(doc);
  return t;
}

inline void Table::check_fallback_chains(detail::TableProblems& r) const {
  // Chains may only name what the table has: a typo would otherwise silently shorten the
  // fallback walk.
  for (const auto& p : providers_) {
    const std::string pp = "/providers/" + detail::pointer_escape(p.name) + "/fallback";
    for (std::size_t i = 0; i < p.fallback_models.size(); ++i)
      if (!model(p.name, p.fallback_models[i]))
        r.fail_at(pp + "/models/" + std::to_string(i),
                  fmt::format("unknown model \"{}\" at {}", p.fallback_models[i], p.name));
    for (std::size_t i = 0; i < p.fallback_providers.size(); ++i)
      if (!provider(p.fallback_providers[i]) || p.fallback_providers[i] == p.name)
        r.fail_at(pp + "/providers/" + std::to_string(i), fmt::format("unknown provider \"{}\"", p.fallback_providers[i]));
  }
}

/// The built-in table, resolved on first use and shared by every caller (thread-safe: a
/// function-local static).
inline const Table& builtin_table() {
  static const Table table = [] {
    auto t = Table::from_document(builtin_table_document(), "built-in provider table");
    // The built-in document is tested to resolve; failing here is a build defect, not input.
    if (!t) throw std::logic_error(t.error().message);
    return std::move(*t);
  }();
  return table;
}

/// Why `tier` can not be `provider`'s tier in `table`, or nothing when it can (an empty tier
/// always can: each model's first tier that offers it). The reason lists the known tiers, so
/// `Tier1` for `tier1` is fixed at a glance; `tier` itself is not repeated (it may be anything).
inline std::optional<std::string> tier_problem(const Table& table, std::string_view provider, std::string_view tier) {
  if (tier.empty()) return std::nullopt;
  const auto known = table.tiers_of(provider);
  if (std::find(known.begin(), known.end(), tier) != known.end()) return std::nullopt;
  if (known.empty())
    return fmt::format("is not a tier of {}: the provider table publishes none for it; leave the tier empty and set "
                       "its limits",
                       provider);
  return fmt::format("is not a tier of {} in the provider table; known tiers: {}", provider, fmt::join(known, ", "));
}


}  // namespace governed::providers
