#pragma once
/// @file
/// The provider table in JSON: a document read from JSON (`document_from_json`, checked for
/// shape: known fields, the right types) and written back (`to_json`), a table from JSON text
/// (`table_from_json`), and overrides.
///
/// An override is a JSON merge patch (RFC 7386) over a table's document written as JSON:
/// change a price, add a model, reorder a chain, delete a model with `null`. The merged
/// document is resolved whole (`Table::from_document`); a bad file is refused with an error
/// naming the file and the line (syntax) or the JSON pointer of the field (meaning), and the
/// table in use stays as it was.
///
/// ```cpp
/// auto t = governed::providers::load_override_file(builtin_table(), "providers.json");
/// if (!t) std::puts(t.error().message.c_str());   // "providers.json: /providers/groq/..."
/// ```

#include <governed/file/bounded_read.hpp>
#include <governed/json_limits.hpp>
#include <governed/providers/redact.hpp>
#include <governed/providers/table.hpp>
#include <governed/providers/table_document.hpp>
#include <governed/result.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace governed::providers {

/// The most an override document (or a whole table) may be: a table of every model of every
/// provider is tens of kilobytes and six levels deep.
inline constexpr JsonLimits table_json_limits{std::size_t{4} << 20, 32};

namespace detail {

/// The names the table's enumerated fields take in JSON.
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
inline constexpr std::pair<std::string_view, std::chrono::seconds> json_window_names[] = {
    {"second", std::chrono::seconds{1}}, {"minute", std::chrono::seconds{60}},
    {"hour", std::chrono::seconds{3600}}, {"day", std::chrono::seconds{86400}}};

/// Whether `j` is the string `text`.
inline bool is_text(const nlohmann::json& j, std::string_view text) {
  const auto* s = j.get_ptr<const std::string*>();
  return s && *s == text;
}

/// Reads the fields of a table document's JSON, keeping the JSON pointer of where it is so
/// every complaint names its field. It checks shape only (known fields, types, names);
/// values are `Table::from_document`'s to check, for a document from JSON and one from code
/// alike.
class TableJsonReader {
 public:
  explicit TableJsonReader(std::string_view source) : problems(source) {}

  TableProblems problems;

  void fail_at(const std::string& ptr, std::string_view what) { problems.fail_at(ptr, what); }
  bool failed() const noexcept { return problems.error.has_value(); }

  bool object(const nlohmann::json& j, const std::string& ptr, std::initializer_list<std::string_view> allowed) {
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

  /// The member `key`, or null when `j` has none (after a "missing" complaint when required).
  const nlohmann::json* member(const nlohmann::json& j, const std::string& ptr, std::string_view key, bool required) {
    auto it = j.find(key);
    if (it != j.end()) return &*it;
    if (required) fail_at(ptr + "/" + std::string(key), "missing");
    return nullptr;
  }

  std::optional<std::string> str(const nlohmann::json& j, const std::string& ptr, std::string_view key,
                                 bool required = false) {
    const auto* v = member(j, ptr, key, required);
    if (!v) return std::nullopt;
    if (!v->is_string()) {
      fail_at(ptr + "/" + std::string(key), "must be a string");
      return std::nullopt;
    }
    return v->get<std::string>();
  }

  std::optional<double> number(const nlohmann::json& j, const std::string& ptr, std::string_view key, bool required) {
    const auto* v = member(j, ptr, key, required);
    if (!v) return std::nullopt;
    if (!v->is_number()) {
      fail_at(ptr + "/" + std::string(key), "must be a non-negative number");
      return std::nullopt;
    }
    return v->get<double>();
  }

  std::optional<std::int64_t> count(const nlohmann::json& j, const std::string& ptr, std::string_view key,
                                    bool required, bool positive) {
    const auto* v = member(j, ptr, key, required);
    if (!v) return std::nullopt;
    if (!v->is_number_integer()) {
      fail_at(ptr + "/" + std::string(key), positive ? "must be a positive integer" : "must be a non-negative integer");
      return std::nullopt;
    }
    return v->get<std::int64_t>();
  }

  Cap cap(const nlohmann::json& j, const std::string& ptr, std::string_view key) {
    auto it = j.find(key);
    if (it == j.end()) return {};
    if (it->is_number_integer()) return Cap::of(it->get<std::int64_t>());
    if (is_text(*it, "unlimited")) return Cap::without_limit();
    if (is_text(*it, "unavailable")) return {Cap::State::unavailable, 0};
    fail_at(ptr + "/" + std::string(key), "must be a positive integer, \"unlimited\" or \"unavailable\"");
    return {};
  }

  std::optional<Names> strings(const nlohmann::json& j, const std::string& ptr, std::string_view key) {
    auto it = j.find(key);
    if (it == j.end()) return std::nullopt;
    const std::string p = ptr + "/" + std::string(key);
    if (!it->is_array()) {
      fail_at(p, "must be an array of strings");
      return std::nullopt;
    }
    Names out;
    for (std::size_t i = 0; i < it->size(); ++i) {
      if (!(*it)[i].is_string()) {
        fail_at(p + "/" + std::to_string(i), "must be a string");
        return out;
      }
      out.push_back((*it)[i].get<std::string>());
    }
    return out;
  }

  /// One of `names`; an empty string reads as not written.
  template <class E, std::size_t N>
  std::optional<E> enumeration(const nlohmann::json& j, const std::string& ptr, std::string_view key,
                               const std::pair<std::string_view, E> (&names)[N]) {
    const auto s = str(j, ptr, key);
    if (!s || s->empty()) return std::nullopt;
    for (const auto& [n, e] : names)
      if (n == *s) return e;
    std::string list;
    for (const auto& [n, e] : names) list += (list.empty() ? "" : ", ") + std::string(n);
    fail_at(ptr + "/" + std::string(key), "must be one of " + list);
    return std::nullopt;
  }

  std::optional<EstimateEntry> estimate(const nlohmann::json& j, const std::string& ptr) {
    auto it = j.find("estimate");
    if (it == j.end()) return std::nullopt;
    const std::string p = ptr + "/estimate";
    if (!object(*it, p, {"letters_per_token", "tokens_per_message", "tokens_per_reply", "image",
                         "image_patch_multiplier", "tokens_per_tool", "tool_prompt_tokens", "tokens_per_document_page"}))
      return std::nullopt;
    EstimateEntry e{number(*it, p, "letters_per_token", false), count(*it, p, "tokens_per_message", false, false),
                    count(*it, p, "tokens_per_reply", false, false)};
    e.image = image_rule(*it, p);
    e.image_patch_multiplier = number(*it, p, "image_patch_multiplier", false);
    e.tokens_per_tool = count(*it, p, "tokens_per_tool", false, false);
    e.tool_prompt_tokens = count(*it, p, "tool_prompt_tokens", false, false);
    e.tokens_per_document_page = count(*it, p, "tokens_per_document_page", false, false);
    return e;
  }

  /// `image` of the estimate at `p`: a rule's name. An unknown name is refused with the name
  /// (its first 64 bytes: the file may hold anything) and the names the table knows.
  std::optional<ImageRule> image_rule(const nlohmann::json& j, const std::string& p) {
    const auto name = str(j, p, "image");
    if (!name) return std::nullopt;
    if (auto rule = image_rule_from(*name)) return rule;
    std::string known;
    for (const auto n : image_rule_names) known += (known.empty() ? "" : ", ") + std::string(n);
    fail_at(p + "/image", "unknown image rule \"" + name->substr(0, 64) + "\": must be one of " + known);
    return std::nullopt;
  }
};

/// `daily_reset` of the provider at `pp`. A time zone is read for a midnight rule only, as
/// only that rule uses one.
inline std::optional<DailyResetEntry> read_daily_reset(TableJsonReader& r, const nlohmann::json& pj,
                                                       const std::string& pp) {
  auto it = pj.find("daily_reset");
  if (it == pj.end()) return std::nullopt;
  const std::string dp = pp + "/daily_reset";
  if (!r.object(*it, dp, {"rule", "time_zone"})) return std::nullopt;
  const auto rule = r.str(*it, dp, "rule", true);
  if (!rule) return std::nullopt;
  DailyResetEntry out;
  if (*rule == "midnight") {
    out.rule = DailyReset::Rule::midnight;
    out.time_zone = r.str(*it, dp, "time_zone", true);
  } else if (*rule == "rolling") {
    if (const auto* tz = it->find("time_zone") != it->end() ? &(*it)["time_zone"] : nullptr; tz && tz->is_string())
      out.time_zone = tz->get<std::string>();
  } else {
    r.fail_at(dp + "/rule", "must be one of rolling, midnight");
  }
  return out;
}

/// `fallback` of the provider at `pp`.
inline std::optional<FallbackEntry> read_fallback(TableJsonReader& r, const nlohmann::json& pj, const std::string& pp) {
  auto it = pj.find("fallback");
  if (it == pj.end()) return std::nullopt;
  const std::string fp = pp + "/fallback";
  if (!r.object(*it, fp, {"models", "providers"})) return std::nullopt;
  return FallbackEntry{r.strings(*it, fp, "models"), r.strings(*it, fp, "providers")};
}

/// The provider `pname` at `pp`, all but its models; nothing when it is not an object of
/// known fields (the reader then holds the error).
inline std::optional<ProviderEntry> read_provider(TableJsonReader& r, const std::string& pname,
                                                  const nlohmann::json& pj, const std::string& pp) {
  if (!r.object(pj, pp, {"display", "base_url", "auth", "dialect", "headers", "requests_window",
                         "tokens_window", "daily_reset", "limits_per", "estimate", "fallback",
                         "capabilities", "capabilities_as_of", "as_of", "note", "models"}))
    return std::nullopt;
  ProviderEntry p;
  p.name = pname;
  p.display = r.str(pj, pp, "display");
  p.base_url = r.str(pj, pp, "base_url");
  p.auth = r.enumeration(pj, pp, "auth", auth_names);
  p.dialect = r.enumeration(pj, pp, "dialect", dialect_names);
  p.headers = r.enumeration(pj, pp, "headers", header_family_names);
  p.requests_window = r.enumeration(pj, pp, "requests_window", json_window_names);
  p.tokens_window = r.enumeration(pj, pp, "tokens_window", json_window_names);
  p.daily_reset = read_daily_reset(r, pj, pp);
  p.limits_per = r.strings(pj, pp, "limits_per");
  p.estimate = r.estimate(pj, pp);
  p.fallback = read_fallback(r, pj, pp);
  p.capabilities = r.strings(pj, pp, "capabilities");
  p.capabilities_as_of = r.str(pj, pp, "capabilities_as_of");
  p.as_of = r.str(pj, pp, "as_of", true).value_or("");
  p.note = r.str(pj, pp, "note");
  return p;
}

/// The model's `price` at `mp` (required).
inline PriceEntry read_price(TableJsonReader& r, const nlohmann::json& mj, const std::string& mp) {
  const auto* pj = r.member(mj, mp, "price", true);
  const std::string prp = mp + "/price";
  if (!pj || !r.object(*pj, prp, {"input", "output", "cached_input", "cache_write", "as_of"})) return {};
  PriceEntry price;
  price.input = r.number(*pj, prp, "input", true).value_or(0);
  price.output = r.number(*pj, prp, "output", true).value_or(0);
  price.cached_input = r.number(*pj, prp, "cached_input", false);
  price.cache_write = r.number(*pj, prp, "cache_write", false);
  price.as_of = r.str(*pj, prp, "as_of");
  return price;
}

/// The model's `tiers` at `mp`: each a set of caps, or "unavailable".
inline std::optional<std::vector<TierEntry>> read_tiers(TableJsonReader& r, const nlohmann::json& mj,
                                                        const std::string& mp) {
  auto it = mj.find("tiers");
  if (it == mj.end()) return std::nullopt;
  if (!it->is_object()) {
    r.fail_at(mp + "/tiers", "must be an object");
    return std::nullopt;
  }
  std::vector<TierEntry> tiers;
  for (const auto& [tname, tj] : it->items()) {
    const std::string tp = mp + "/tiers/" + pointer_escape(tname);
    TierEntry t;
    t.name = tname;
    if (is_text(tj, "unavailable")) {
      t.available = false;
    } else if (r.object(tj, tp, {"rpm", "tpm", "rpd", "tpd", "itpm", "otpm", "as_of"})) {
      t.rpm = r.cap(tj, tp, "rpm");
      t.tpm = r.cap(tj, tp, "tpm");
      t.rpd = r.cap(tj, tp, "rpd");
      t.tpd = r.cap(tj, tp, "tpd");
      t.itpm = r.cap(tj, tp, "itpm");
      t.otpm = r.cap(tj, tp, "otpm");
      t.as_of = r.str(tj, tp, "as_of");
    }
    tiers.push_back(std::move(t));
  }
  return tiers;
}

/// The model `mname` at `mp`; nothing when it is not an object of known fields (the reader
/// then holds the error).
inline std::optional<ModelEntry> read_model(TableJsonReader& r, const std::string& mname, const nlohmann::json& mj,
                                            const std::string& mp) {
  if (!r.object(mj, mp, {"context_window", "max_output_tokens", "price", "tiers", "tags",
                         "estimate", "capabilities", "capabilities_as_of", "as_of", "retired", "note"}))
    return std::nullopt;
  ModelEntry m;
  m.name = mname;
  m.context_window = r.count(mj, mp, "context_window", true, true).value_or(0);
  m.max_output_tokens = r.count(mj, mp, "max_output_tokens", true, true).value_or(0);
  m.as_of = r.str(mj, mp, "as_of", true).value_or("");
  m.price = read_price(r, mj, mp);
  m.tiers = read_tiers(r, mj, mp);
  m.tags = r.strings(mj, mp, "tags");
  m.estimate = r.estimate(mj, mp);
  m.capabilities = r.strings(mj, mp, "capabilities");
  m.capabilities_as_of = r.str(mj, mp, "capabilities_as_of");
  m.retired = r.str(mj, mp, "retired");
  m.note = r.str(mj, mp, "note");
  return m;
}

/// The `models` of the provider at `pp`, in document order; stops at the first model that is
/// not an object of known fields.
inline std::optional<std::vector<ModelEntry>> read_models(TableJsonReader& r, const nlohmann::json& pj,
                                                          const std::string& pp) {
  auto it = pj.find("models");
  if (it == pj.end()) return std::nullopt;
  if (!it->is_object()) {
    r.fail_at(pp + "/models", "must be an object");
    return std::nullopt;
  }
  std::vector<ModelEntry> models;
  for (const auto& [mname, mj] : it->items()) {
    auto m = read_model(r, mname, mj, pp + "/models/" + pointer_escape(mname));
    if (!m) break;
    models.push_back(std::move(*m));
  }
  return models;
}

}  // namespace detail

/// A table document read from JSON: every field of a known name and type, or an error naming
/// `source` and the field's JSON pointer. Values are checked when the document is resolved
/// (`Table::from_document`).
inline Result<TableDocument> document_from_json(const nlohmann::json& doc, std::string_view source) {
  detail::TableJsonReader r(source);
  if (!r.object(doc, "", {"providers"})) return tl::unexpected(*r.problems.error);
  auto pit = doc.find("providers");
  if (pit == doc.end() || !pit->is_object()) {
    r.fail_at("/providers", "missing or not an object");
    return tl::unexpected(*r.problems.error);
  }
  TableDocument out;
  for (const auto& [pname, pj] : pit->items()) {
    const std::string pp = "/providers/" + detail::pointer_escape(pname);
    auto p = detail::read_provider(r, pname, pj, pp);
    if (!p) break;
    p->models = detail::read_models(r, pj, pp);
    out.providers.push_back(std::move(*p));
    if (r.failed()) break;
  }
  if (r.failed()) return tl::unexpected(*r.problems.error);
  return out;
}

namespace detail {

// The writer builds each value from a std::string, an integer or a double only, member by
// member: every other way of building a JSON value (initializer lists, string views, whole
// vectors) is one more family of nlohmann's templates for every program that includes this.

template <class E, std::size_t N>
std::string name_of(E e, const std::pair<std::string_view, E> (&names)[N]) {
  for (const auto& [n, v] : names)
    if (v == e) return std::string(n);
  return {};
}

inline nlohmann::json names_json(const Names& v) {
  auto a = nlohmann::json::array();
  for (const auto& s : v) a.push_back(nlohmann::json(s));
  return a;
}

inline nlohmann::json cap_json(const Cap& c) {
  if (c.state == Cap::State::unlimited) return nlohmann::json(std::string("unlimited"));
  if (c.state == Cap::State::unavailable) return nlohmann::json(std::string("unavailable"));
  return nlohmann::json(c.value);
}

inline nlohmann::json estimate_json(const EstimateEntry& e) {
  auto j = nlohmann::json::object();
  if (e.letters_per_token) j["letters_per_token"] = *e.letters_per_token;
  if (e.tokens_per_message) j["tokens_per_message"] = *e.tokens_per_message;
  if (e.tokens_per_reply) j["tokens_per_reply"] = *e.tokens_per_reply;
  if (e.image) j["image"] = std::string(to_string(*e.image));
  if (e.image_patch_multiplier) j["image_patch_multiplier"] = *e.image_patch_multiplier;
  if (e.tokens_per_tool) j["tokens_per_tool"] = *e.tokens_per_tool;
  if (e.tool_prompt_tokens) j["tool_prompt_tokens"] = *e.tool_prompt_tokens;
  if (e.tokens_per_document_page) j["tokens_per_document_page"] = *e.tokens_per_document_page;
  return j;
}

inline nlohmann::json tier_json(const TierEntry& t) {
  if (!t.available) return nlohmann::json(std::string("unavailable"));
  auto j = nlohmann::json::object();
  const std::pair<const char*, const Cap*> caps[] = {{"rpm", &t.rpm}, {"tpm", &t.tpm},   {"rpd", &t.rpd},
                                                     {"tpd", &t.tpd}, {"itpm", &t.itpm}, {"otpm", &t.otpm}};
  for (const auto& [name, c] : caps)
    if (c->state != Cap::State::unpublished) j[name] = cap_json(*c);
  if (t.as_of) j["as_of"] = *t.as_of;
  return j;
}

inline nlohmann::json price_json(const PriceEntry& p) {
  auto j = nlohmann::json::object();
  j["input"] = p.input;
  j["output"] = p.output;
  if (p.cached_input) j["cached_input"] = *p.cached_input;
  if (p.cache_write) j["cache_write"] = *p.cache_write;
  if (p.as_of) j["as_of"] = *p.as_of;
  return j;
}

inline nlohmann::json model_json(const ModelEntry& m) {
  auto j = nlohmann::json::object();
  j["context_window"] = m.context_window;
  j["max_output_tokens"] = m.max_output_tokens;
  j["as_of"] = m.as_of;
  j["price"] = price_json(m.price);
  if (m.tiers) {
    auto& tiers = j["tiers"] = nlohmann::json::object();
    for (const auto& t : *m.tiers) tiers[t.name] = tier_json(t);
  }
  if (m.tags) j["tags"] = names_json(*m.tags);
  if (m.estimate) j["estimate"] = estimate_json(*m.estimate);
  if (m.capabilities) j["capabilities"] = names_json(*m.capabilities);
  if (m.capabilities_as_of) j["capabilities_as_of"] = *m.capabilities_as_of;
  if (m.retired) j["retired"] = *m.retired;
  if (m.note) j["note"] = *m.note;
  return j;
}

/// The provider's fields other than its models.
inline nlohmann::json provider_json(const ProviderEntry& p) {
  auto j = nlohmann::json::object();
  j["as_of"] = p.as_of;
  if (p.display) j["display"] = *p.display;
  if (p.base_url) j["base_url"] = *p.base_url;
  if (p.auth) j["auth"] = name_of(*p.auth, auth_names);
  if (p.dialect) j["dialect"] = name_of(*p.dialect, dialect_names);
  if (p.headers) j["headers"] = name_of(*p.headers, header_family_names);
  if (p.requests_window) j["requests_window"] = name_of(*p.requests_window, json_window_names);
  if (p.tokens_window) j["tokens_window"] = name_of(*p.tokens_window, json_window_names);
  if (p.daily_reset) {
    auto& d = j["daily_reset"] = nlohmann::json::object();
    d["rule"] = std::string(p.daily_reset->rule == DailyReset::Rule::midnight ? "midnight" : "rolling");
    if (p.daily_reset->time_zone) d["time_zone"] = *p.daily_reset->time_zone;
  }
  if (p.limits_per) j["limits_per"] = names_json(*p.limits_per);
  if (p.estimate) j["estimate"] = estimate_json(*p.estimate);
  if (p.fallback) {
    auto& f = j["fallback"] = nlohmann::json::object();
    if (p.fallback->models) f["models"] = names_json(*p.fallback->models);
    if (p.fallback->providers) f["providers"] = names_json(*p.fallback->providers);
  }
  if (p.capabilities) j["capabilities"] = names_json(*p.capabilities);
  if (p.capabilities_as_of) j["capabilities_as_of"] = *p.capabilities_as_of;
  if (p.note) j["note"] = *p.note;
  return j;
}

}  // namespace detail

/// `doc` written as JSON, each field as written: what `document_from_json` reads back to
/// `doc`. A window of a length that has no name is written as an empty string (read back as
/// not written); `Table::from_document` refuses one.
inline nlohmann::json to_json(const TableDocument& doc) {
  auto providers = nlohmann::json::object();
  for (const auto& p : doc.providers) {
    auto j = detail::provider_json(p);
    if (p.models) {
      auto& models = j["models"] = nlohmann::json::object();
      for (const auto& m : *p.models) models[m.name] = detail::model_json(m);
    }
    providers[p.name] = std::move(j);
  }
  auto json = nlohmann::json::object();
  json["providers"] = std::move(providers);
  return json;
}

/// Parses JSON text within `limits` (size, nesting); a syntax error names the source and
/// the line.
inline Result<nlohmann::json> parse_table_json(std::string_view text, std::string_view source,
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
/// A table from JSON text (comments allowed): parsed, read and resolved.
inline Result<Table> table_from_json(std::string_view text, std::string_view source,
                                     const JsonLimits& limits = table_json_limits) {
  auto json = parse_table_json(text, source, limits);
  if (!json) return tl::unexpected(json.error());
  auto doc = document_from_json(*json, source);
  if (!doc) return tl::unexpected(doc.error());
  return Table::from_document(std::move(*doc), source);
}

/// `base` with an override document (JSON merge patch) applied. On error `base` is untouched
/// and the error names `source`.
inline Result<Table> apply_override(const Table& base, std::string_view json_text,
                                    std::string_view source, const JsonLimits& limits = table_json_limits) {
  auto patch = parse_table_json(json_text, source, limits);
  if (!patch) return tl::unexpected(patch.error());
  if (!patch->is_object())
    return fail(Errc::invalid_argument, fmt::format("{}: /: must be an object", source));
  nlohmann::json json = to_json(base.document());
  json.merge_patch(*patch);
  auto doc = document_from_json(json, source);
  if (!doc) return tl::unexpected(doc.error());
  return Table::from_document(std::move(*doc), source);
}

/// Reads an override file (a regular file of at most `limits.max_bytes`) and applies it to
/// `base`.
inline Result<Table> load_override_file(const Table& base, const std::filesystem::path& path,
                                        const JsonLimits& limits = table_json_limits) {
  auto text = governed::detail::read_bounded_file(path, limits.max_bytes);
  if (!text) return tl::unexpected(text.error());
  return apply_override(base, *text, path.string(), limits);
}

}  // namespace governed::providers
