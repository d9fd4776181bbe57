#pragma once
/// @file
/// The provider table: providers, their models, prices, limits per tier, fallback chains,
/// error dialects, header formats and daily-reset rules.
///
/// The built-in table (`builtin_table()`) is parsed once from `table_data.hpp`. An override
/// file is a JSON merge patch (RFC 7386) over that document: change a price, add a model,
/// reorder a chain, delete a model with `null`. The merged document is validated whole; a bad
/// file is refused with an error naming the file and the line (syntax) or the JSON pointer
/// of the field (meaning), and the table in use stays as it was.
///
/// ```cpp
/// auto t = governed::providers::load_override_file(builtin_table(), "providers.json");
/// if (!t) std::puts(t.error().message.c_str());   // "providers.json: /providers/groq/..."
/// ```

#include <governed/file/bounded_read.hpp>
#include <governed/json_limits.hpp>
#include <governed/providers/dialect.hpp>
#include <governed/providers/headers.hpp>
#include <governed/providers/redact.hpp>
#include <governed/providers/table_data.hpp>
#include <governed/result.hpp>

#include <date/tz.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace governed::providers {

/// The most an override document (or the built-in one) may be: a table of every model of every
/// provider is tens of kilobytes and six levels deep.
inline constexpr JsonLimits table_json_limits{std::size_t{4} << 20, 32};

/// How a provider wants its key.
enum class AuthStyle : std::uint8_t {
  bearer,          ///< `Authorization: Bearer <key>` (OpenAI, Groq, Mistral, OpenRouter, DeepSeek)
  x_api_key,       ///< `x-api-key: <key>` (Anthropic)
  api_key,         ///< `api-key: <key>` (Azure OpenAI)
  x_goog_api_key,  ///< `x-goog-api-key: <key>` (Gemini)
};

/// Which rate-limit header names a provider sends.
enum class HeaderFamily : std::uint8_t { openai, anthropic, mistral, openrouter, none };

/// A published limit: a number, "unlimited", "unavailable" on this tier, or not published.
struct Cap {
  enum class State : std::uint8_t { unpublished, limited, unlimited, unavailable };
  State state = State::unpublished;
  std::int64_t value = 0;

  bool limited() const noexcept { return state == State::limited; }
  friend bool operator==(const Cap&, const Cap&) = default;
};

/// One tier's limits for one model.
struct TierLimits {
  std::string name;
  bool available = true;  ///< false: the model is not offered on this tier at all
  Cap rpm, tpm, rpd, tpd, itpm, otpm;
  std::string as_of;
};

/// USD per million tokens.
struct Price {
  double input = 0;
  double output = 0;
  std::optional<double> cached_input{};  ///< reading a cached prompt prefix
  std::optional<double> cache_write{};   ///< writing one (Anthropic charges extra)
  std::string as_of;
};

/// Token estimation parameters (see tokens.hpp).
struct EstimateParams {
  double letters_per_token = 5.0;  ///< ASCII letters per token; other characters: tokens.hpp
  int tokens_per_message = 3;
  int tokens_per_reply = 3;
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
};

/// When a provider's daily allowance comes back.
struct DailyReset {
  enum class Rule : std::uint8_t { rolling, midnight };
  Rule rule = Rule::rolling;          ///< rolling: tokens refill continuously over 24 h
  std::string time_zone;              ///< for midnight: an IANA name (Gemini: America/Los_Angeles)
  const date::time_zone* zone = nullptr;
};

struct Provider {
  std::string name;
  std::string display;
  std::string base_url;  ///< empty for the generic OpenAI-compatible entry: the user's
  AuthStyle auth = AuthStyle::bearer;
  Dialect dialect = Dialect::openai;
  HeaderFamily headers = HeaderFamily::openai;
  HeaderWindows windows;
  DailyReset daily_reset;
  bool limits_per_account = false, limits_per_key = false, limits_per_model = false;
  EstimateParams estimate;
  std::vector<std::string> fallback_models;
  std::vector<std::string> fallback_providers;
  std::string as_of;
  std::string note;
};

/// The next time the provider's daily allowance resets, for providers that reset at a
/// midnight (Gemini: midnight in America/Los_Angeles, so 07:00 or 08:00 UTC depending on
/// daylight saving); empty for rolling windows.
inline std::optional<WallTime> next_daily_reset(const Provider& p, WallTime now) {
  if (p.daily_reset.rule != DailyReset::Rule::midnight || !p.daily_reset.zone) return std::nullopt;
  const auto* z = p.daily_reset.zone;
  const auto local = z->to_local(std::chrono::floor<std::chrono::seconds>(now));
  const auto next = date::floor<date::days>(local) + date::days{1};
  return WallTime{z->to_sys(next, date::choose::earliest)};
}

namespace detail {

inline std::string pointer_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

/// Whether `j` is the string `text`.
inline bool is_text(const nlohmann::json& j, std::string_view text) {
  const auto* s = j.get_ptr<const std::string*>();
  return s && *s == text;
}

/// Validates and converts the table document, keeping the JSON pointer of where it is so
/// every complaint names its field.
class TableReader {
 public:
  explicit TableReader(std::string_view source) : source_(source) {}

  std::optional<Error> error;

  void fail_at(const std::string& ptr, std::string_view what) {
    if (!error) error = Error{Errc::invalid_argument, fmt::format("{}: {}: {}", source_, ptr.empty() ? "/" : ptr, what)};
  }

  bool object(const nlohmann::json& j, const std::string& ptr,
              std::initializer_list<std::string_view> allowed) {
    if (!j.is_object()) {
      fail_at(ptr, "must be an object");
      return false;
    }
    for (const auto& [k, v] : j.items()) {
      if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
        fail_at(ptr + "/" + pointer_escape(k), "unknown field");
        return false;
      }
    }
    return true;
  }

  std::string str(const nlohmann::json& j, const std::string& ptr, std::string_view key,
                  bool required = true) {
    auto it = j.find(key);
    if (it == j.end()) {
      if (required) fail_at(ptr + "/" + std::string(key), "missing");
      return {};
    }
    if (!it->is_string()) {
      fail_at(ptr + "/" + std::string(key), "must be a string");
      return {};
    }
    return it->get<std::string>();
  }

  std::string date_str(const nlohmann::json& j, const std::string& ptr, std::string_view key,
                       bool required = true) {
    std::string s = str(j, ptr, key, required);
    if (s.empty()) return s;
    std::istringstream in(s);
    date::year_month_day ymd{};
    in >> date::parse("%F", ymd);
    if (in.fail() || !ymd.ok() || s.size() != 10)
      fail_at(ptr + "/" + std::string(key), "must be a date YYYY-MM-DD");
    return s;
  }

  std::optional<double> number(const nlohmann::json& j, const std::string& ptr,
                               std::string_view key, bool required) {
    auto it = j.find(key);
    if (it == j.end()) {
      if (required) fail_at(ptr + "/" + std::string(key), "missing");
      return std::nullopt;
    }
    if (!it->is_number() || !std::isfinite(it->get<double>()) || it->get<double>() < 0) {
      fail_at(ptr + "/" + std::string(key), "must be a non-negative number");
      return std::nullopt;
    }
    return it->get<double>();
  }

  std::int64_t count(const nlohmann::json& j, const std::string& ptr, std::string_view key,
                     bool required, bool positive) {
    auto it = j.find(key);
    if (it == j.end()) {
      if (required) fail_at(ptr + "/" + std::string(key), "missing");
      return 0;
    }
    if (!it->is_number_integer() || it->get<std::int64_t>() < (positive ? 1 : 0)) {
      fail_at(ptr + "/" + std::string(key),
              positive ? "must be a positive integer" : "must be a non-negative integer");
      return 0;
    }
    return it->get<std::int64_t>();
  }

  Cap cap(const nlohmann::json& j, const std::string& ptr, std::string_view key) {
    auto it = j.find(key);
    if (it == j.end()) return {};
    const std::string p = ptr + "/" + std::string(key);
    // 0 is refused: it would read as "no limit" to the limiter, the opposite of what it says.
    if (it->is_number_integer() && it->get<std::int64_t>() >= 1)
      return {Cap::State::limited, it->get<std::int64_t>()};
    if (is_text(*it, "unlimited")) return {Cap::State::unlimited, 0};
    if (is_text(*it, "unavailable")) return {Cap::State::unavailable, 0};
    fail_at(p, "must be a positive integer, \"unlimited\" or \"unavailable\"");
    return {};
  }

  std::vector<std::string> strings(const nlohmann::json& j, const std::string& ptr,
                                   std::string_view key) {
    std::vector<std::string> out;
    auto it = j.find(key);
    if (it == j.end()) return out;
    const std::string p = ptr + "/" + std::string(key);
    if (!it->is_array()) {
      fail_at(p, "must be an array of strings");
      return out;
    }
    for (std::size_t i = 0; i < it->size(); ++i) {
      if (!(*it)[i].is_string()) {
        fail_at(p + "/" + std::to_string(i), "must be a string");
        return out;
      }
      out.push_back((*it)[i].get<std::string>());
    }
    return out;
  }

  template <class E, std::size_t N>
  E enumeration(const nlohmann::json& j, const std::string& ptr, std::string_view key,
                const std::pair<std::string_view, E> (&names)[N], E fallback) {
    std::string s = str(j, ptr, key, false);
    if (s.empty()) return fallback;
    for (const auto& [n, e] : names)
      if (n == s) return e;
    std::string list;
    for (const auto& [n, e] : names) list += (list.empty() ? "" : ", ") + std::string(n);
    fail_at(ptr + "/" + std::string(key), "must be one of " + list);
    return fallback;
  }

  EstimateParams estimate(const nlohmann::json& j, const std::string& ptr, EstimateParams base) {
    auto it = j.find("estimate");
    if (it == j.end()) return base;
    const std::string p = ptr + "/estimate";
    if (!object(*it, p, {"letters_per_token", "tokens_per_message", "tokens_per_reply"})) return base;
    if (auto c = number(*it, p, "letters_per_token", false)) {
      if (*c < 0.5 || *c > 20) fail_at(p + "/letters_per_token", "must be between 0.5 and 20");
      base.letters_per_token = *c;
    }
    if (it->contains("tokens_per_message"))
      base.tokens_per_message = int(std::min<std::int64_t>(count(*it, p, "tokens_per_message", false, false), 1000));
    if (it->contains("tokens_per_reply"))
      base.tokens_per_reply = int(std::min<std::int64_t>(count(*it, p, "tokens_per_reply", false, false), 1000));
    return base;
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
  /// The JSON document the table was built from: what an override patches.
  const nlohmann::json& document() const noexcept { return document_; }

  const Provider* provider(std::string_view name) const noexcept {
    for (const auto& p : providers_)
      if (p.name == name) return &p;
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
      if (models_[m].name == name) return &models_[m];
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

  /// Builds a table from a document, validating every field.
  static Result<Table> from_document(nlohmann::json doc, std::string_view source);

  /// Builds a table from JSON text (comments allowed).
  static Result<Table> from_json(std::string_view text, std::string_view source,
                                 const JsonLimits& limits = table_json_limits) {
    auto doc = parse(text, source, limits);
    if (!doc) return tl::unexpected(doc.error());
    return from_document(std::move(*doc), source);
  }

  /// Parses JSON text within `limits` (size, nesting); a syntax error names the source and
  /// the line.
  static Result<nlohmann::json> parse(std::string_view text, std::string_view source,
                                      const JsonLimits& limits = table_json_limits) {
    if (auto ok = check_json_limits(text, limits, source, /*comments=*/true); !ok) return tl::unexpected(ok.error());
    try {
      return nlohmann::json::parse(text.begin(), text.end(), nullptr, true, true);
    } catch (const nlohmann::json::parse_error& e) {
      const std::size_t at = std::min<std::size_t>(e.byte == 0 ? 0 : e.byte - 1, text.size());
      const auto line = 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n');
      // nlohmann's text ends in the offending bytes ("…; last read: '<bytes>'"), which may be
      // anything, a key among them: keep its reason only.
      std::string_view what = e.what();
      if (auto p = what.find("; last read:"); p != std::string_view::npos) what = what.substr(0, p);
      if (auto p = what.rfind(": "); p != std::string_view::npos) what.remove_prefix(p + 2);
      if (what.size() > 160) what = what.substr(0, 160);
      return fail(Errc::parse_error, fmt::format("{}: line {}: invalid JSON ({})", source, line,
                                                 redact(what)));
    } catch (const nlohmann::json::exception& e) {
      // A number too large for any type ("number overflow parsing '2e999'"): the library names
      // the token, not its offset, so the token's first occurrence gives the line.
      std::string_view what = e.what();
      std::size_t line = 0;
      if (auto a = what.find('\''), b = what.rfind('\''); a != std::string_view::npos && b > a + 1)
        if (auto at = text.find(what.substr(a + 1, b - a - 1)); at != std::string_view::npos)
          line = 1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
      if (auto p = what.find("] "); p != std::string_view::npos) what.remove_prefix(p + 2);
      if (what.size() > 160) what = what.substr(0, 160);
      return fail(Errc::parse_error, line ? fmt::format("{}: line {}: invalid JSON ({})", source, line, redact(what))
                                          : fmt::format("{}: invalid JSON ({})", source, redact(what)));
    }
  }

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

  /// Records in `r` the first fallback chain entry that names a model or provider this table
  /// does not have (a provider may not name itself).
  void check_fallback_chains(detail::TableReader& r) const;

  std::vector<Provider> providers_;
  std::vector<Model> models_;
  /// Per provider (same order), its models' positions [first, second) in `models_`.
  std::vector<std::pair<std::size_t, std::size_t>> ranges_;
  nlohmann::json document_;
};

namespace detail {

/// The names the table's enumerated fields take.
inline constexpr std::pair<std::string_view, AuthStyle> auth_names[] = {
    {"bearer", AuthStyle::bearer}, {"x-api-key", AuthStyle::x_api_key},
    {"api-key", AuthStyle::api_key}, {"x-goog-api-key", AuthStyle::x_goog_api_key}};
inline constexpr std::pair<std::string_view, Dialect> dialect_names[] = {
    {"openai", Dialect::openai},         {"anthropic", Dialect::anthropic},
    {"gemini", Dialect::gemini},         {"azure", Dialect::azure},
    {"openrouter", Dialect::openrouter}, {"mistral", Dialect::mistral},
    {"groq", Dialect::groq},             {"deepseek", Dialect::deepseek}};
inline constexpr std::pair<std::string_view, HeaderFamily> header_family_names[] = {
    {"openai", HeaderFamily::openai}, {"anthropic", HeaderFamily::anthropic},
    {"mistral", HeaderFamily::mistral}, {"openrouter", HeaderFamily::openrouter},
    {"none", HeaderFamily::none}};
/// A header window's name and its length in seconds.
inline constexpr std::pair<std::string_view, int> window_names[] = {
    {"second", 1}, {"minute", 60}, {"hour", 3600}, {"day", 86400}};

/// `daily_reset` of the provider at `pp`: the rule, and for midnight the time zone, which
/// must be one the time-zone database knows.
inline DailyReset read_daily_reset(TableReader& r, const nlohmann::json& pj, const std::string& pp) {
  DailyReset out;
  auto it = pj.find("daily_reset");
  if (it == pj.end()) return out;
  const std::string dp = pp + "/daily_reset";
  if (!r.object(*it, dp, {"rule", "time_zone"})) return out;
  const std::string rule = r.str(*it, dp, "rule");
  if (rule == "midnight") {
    out.rule = DailyReset::Rule::midnight;
    out.time_zone = r.str(*it, dp, "time_zone");
    try {
      out.zone = date::locate_zone(out.time_zone);
    } catch (const std::exception&) {
      r.fail_at(dp + "/time_zone", "unknown time zone");
    }
  } else if (rule != "rolling") {
    r.fail_at(dp + "/rule", "must be one of rolling, midnight");
  }
  return out;
}

/// The provider `pname` at `pp`, all but its models; nothing when it is not an object of
/// known fields (the reader then holds the error).
inline std::optional<Provider> read_provider(TableReader& r, const std::string& pname, const nlohmann::json& pj,
                                             const std::string& pp) {
  if (!r.object(pj, pp, {"display", "base_url", "auth", "dialect", "headers", "requests_window",
                         "tokens_window", "daily_reset", "limits_per", "estimate", "fallback",
                         "as_of", "note", "models"}))
    return std::nullopt;
  Provider p;
  p.name = pname;
  p.display = r.str(pj, pp, "display", false);
  if (p.display.empty()) p.display = pname;
  p.base_url = r.str(pj, pp, "base_url", false);
  p.auth = r.enumeration(pj, pp, "auth", auth_names, AuthStyle::bearer);
  p.dialect = r.enumeration(pj, pp, "dialect", dialect_names, Dialect::openai);
  p.headers = r.enumeration(pj, pp, "headers", header_family_names, HeaderFamily::openai);
  if (int w = r.enumeration(pj, pp, "requests_window", window_names, 0)) p.windows.requests = std::chrono::seconds{w};
  if (int w = r.enumeration(pj, pp, "tokens_window", window_names, 0)) p.windows.tokens = std::chrono::seconds{w};
  p.daily_reset = read_daily_reset(r, pj, pp);
  for (const auto& s : r.strings(pj, pp, "limits_per")) {
    if (s == "account") p.limits_per_account = true;
    else if (s == "key") p.limits_per_key = true;
    else if (s == "model") p.limits_per_model = true;
    else r.fail_at(pp + "/limits_per", "entries must be account, key or model");
  }
  p.estimate = r.estimate(pj, pp, EstimateParams{});
  if (auto it = pj.find("fallback"); it != pj.end()) {
    const std::string fp = pp + "/fallback";
    if (r.object(*it, fp, {"models", "providers"})) {
      p.fallback_models = r.strings(*it, fp, "models");
      p.fallback_providers = r.strings(*it, fp, "providers");
    }
  }
  p.as_of = r.date_str(pj, pp, "as_of");
  p.note = r.str(pj, pp, "note", false);
  return p;
}

/// The model's `price` at `mp` (required); a price without its own `as_of` is as of the model.
inline Price read_price(TableReader& r, const nlohmann::json& mj, const std::string& mp, const std::string& model_as_of) {
  Price price;
  auto it = mj.find("price");
  if (it == mj.end()) {
    r.fail_at(mp + "/price", "missing");
    return price;
  }
  const std::string prp = mp + "/price";
  if (!r.object(*it, prp, {"input", "output", "cached_input", "cache_write", "as_of"})) return price;
  price.input = r.number(*it, prp, "input", true).value_or(0);
  price.output = r.number(*it, prp, "output", true).value_or(0);
  price.cached_input = r.number(*it, prp, "cached_input", false);
  price.cache_write = r.number(*it, prp, "cache_write", false);
  price.as_of = r.date_str(*it, prp, "as_of", false);
  if (price.as_of.empty()) price.as_of = model_as_of;
  return price;
}

/// The model's `tiers` at `mp`, in document order: each a set of caps, or "unavailable".
inline std::vector<TierLimits> read_tiers(TableReader& r, const nlohmann::json& mj, const std::string& mp,
                                          const std::string& model_as_of) {
  std::vector<TierLimits> tiers;
  auto it = mj.find("tiers");
  if (it == mj.end()) return tiers;
  if (!it->is_object()) {
    r.fail_at(mp + "/tiers", "must be an object");
    return tiers;
  }
  for (const auto& [tname, tj] : it->items()) {
    const std::string tp = mp + "/tiers/" + pointer_escape(tname);
    TierLimits tl;
    tl.name = tname;
    tl.as_of = model_as_of;
    if (is_text(tj, "unavailable")) {
      tl.available = false;
    } else if (r.object(tj, tp, {"rpm", "tpm", "rpd", "tpd", "itpm", "otpm", "as_of"})) {
      tl.rpm = r.cap(tj, tp, "rpm");
      tl.tpm = r.cap(tj, tp, "tpm");
      tl.rpd = r.cap(tj, tp, "rpd");
      tl.tpd = r.cap(tj, tp, "tpd");
      tl.itpm = r.cap(tj, tp, "itpm");
      tl.otpm = r.cap(tj, tp, "otpm");
      if (auto a = r.date_str(tj, tp, "as_of", false); !a.empty()) tl.as_of = a;
    }
    tiers.push_back(std::move(tl));
  }
  return tiers;
}

/// The model `mname` of `provider` at `mp`; nothing when it is not an object of known fields
/// (the reader then holds the error).
inline std::optional<Model> read_model(TableReader& r, const Provider& provider, const std::string& mname,
                                       const nlohmann::json& mj, const std::string& mp) {
  if (!r.object(mj, mp, {"context_window", "max_output_tokens", "price", "tiers", "tags",
                         "estimate", "as_of", "retired", "note"}))
    return std::nullopt;
  Model m;
  m.name = mname;
  m.provider = provider.name;
  m.context_window = r.count(mj, mp, "context_window", true, true);
  m.max_output_tokens = r.count(mj, mp, "max_output_tokens", true, true);
  m.as_of = r.date_str(mj, mp, "as_of");
  m.price = read_price(r, mj, mp, m.as_of);
  m.tiers = read_tiers(r, mj, mp, m.as_of);
  m.tags = r.strings(mj, mp, "tags");
  for (std::size_t i = 0; i < m.tags.size(); ++i) {
    const auto& tag = m.tags[i];
    if (tag != "primary" && tag != "fallback" && tag != "budget" && tag != "large_context")
      r.fail_at(mp + "/tags/" + std::to_string(i), "must be one of primary, fallback, budget, large_context");
  }
  m.estimate = r.estimate(mj, mp, provider.estimate);
  if (mj.contains("retired")) m.retired = r.date_str(mj, mp, "retired");
  m.note = r.str(mj, mp, "note", false);
  return m;
}

/// The `models` of the provider at `pp`, appended to `models` in document order; stops at
/// the first model that is not an object of known fields.
inline void read_models(TableReader& r, const Provider& provider, const nlohmann::json& pj, const std::string& pp,
                        std::vector<Model>& models) {
  auto it = pj.find("models");
  if (it == pj.end()) return;
  if (!it->is_object()) {
    r.fail_at(pp + "/models", "must be an object");
    return;
  }
  for (const auto& [mname, mj] : it->items()) {
    auto m = read_model(r, provider, mname, mj, pp + "/models/" + pointer_escape(mname));
    if (!m) break;
    models.push_back(std::move(*m));
  }
}

}  // namespace detail

inline Result<Table> Table::from_document(nlohmann::json doc, std::string_view source) {
  detail::TableReader r(source);
  Table t;
  if (!r.object(doc, "", {"providers"})) return tl::unexpected(*r.error);
  auto pit = doc.find("providers");
  if (pit == doc.end() || !pit->is_object()) {
    r.fail_at("/providers", "missing or not an object");
    return tl::unexpected(*r.error);
  }
  for (const auto& [pname, pj] : pit->items()) {
    const std::string pp = "/providers/" + detail::pointer_escape(pname);
    auto p = detail::read_provider(r, pname, pj, pp);
    if (!p) break;
    // Each provider's models are one contiguous range of `models_` (see the class comment).
    const std::size_t first_model = t.models_.size();
    detail::read_models(r, *p, pj, pp, t.models_);
    t.ranges_.emplace_back(first_model, t.models_.size());
    t.providers_.push_back(std::move(*p));
    if (r.error) break;
  }
  if (r.error) return tl::unexpected(*r.error);
  t.check_fallback_chains(r);
  if (r.error) return tl::unexpected(*r.error);
  t.document_ = std::move(doc);
  return t;
}

inline void Table::check_fallback_chains(detail::TableReader& r) const {
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

/// The built-in table, parsed on first use and shared by every caller (thread-safe: a
/// function-local static).
inline const Table& builtin_table() {
  static const Table table = [] {
    auto t = Table::from_json(builtin_table_json, "built-in provider table");
    // The built-in document is tested to load; failing here is a build defect, not input.
    if (!t) throw std::logic_error(t.error().message);
    return std::move(*t);
  }();
  return table;
}

/// `base` with an override document (JSON merge patch) applied. On error `base` is untouched
/// and the error names `source`.
inline Result<Table> apply_override(const Table& base, std::string_view json_text,
                                    std::string_view source, const JsonLimits& limits = table_json_limits) {
  auto patch = Table::parse(json_text, source, limits);
  if (!patch) return tl::unexpected(patch.error());
  if (!patch->is_object())
    return fail(Errc::invalid_argument, fmt::format("{}: /: must be an object", source));
  nlohmann::json doc = base.document();
  doc.merge_patch(*patch);
  return Table::from_document(std::move(doc), source);
}

/// Reads an override file (a regular file of at most `limits.max_bytes`) and applies it to
/// `base`.
inline Result<Table> load_override_file(const Table& base, const std::filesystem::path& path,
                                        const JsonLimits& limits = table_json_limits) {
  auto text = governed::detail::read_bounded_file(path, limits.max_bytes);
  if (!text) return tl::unexpected(text.error());
  return apply_override(base, *text, path.string(), limits);
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
