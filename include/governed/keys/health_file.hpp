#pragma once
/// @file
/// `keys::HealthStore`: the health file, key health persisted across restarts and shared by
/// every process on the host — the `keys::HealthPersistence` (keys/health_persistence.hpp) a
/// key pool uses by default.
///
/// The file is JSON, one record per key (or per key and model), naming each key by its
/// fingerprint (never the key, never the account id):
///
/// ```json
/// {"format": "governed key health", "version": 2,
///  "keys": [{"fingerprint": "gsk_…1f0c3a9b22de", "provider": "groq", "health": "exhausted",
///            "until_ms": 1735776000000},
///           {"fingerprint": "gsk_…1f0c3a9b22de", "provider": "groq",
///            "model": "llama-3.3-70b-versatile", "health": "exhausted", "until_ms": 1735700000000}]}
/// ```
///
/// A record with a `model` says only that model is spent for the key's account (a provider
/// that limits each model apart, like Groq's tokens per day); one without says the whole key.
/// Version 1 (an object keyed by fingerprint, a per-model record named "<fingerprint> model
/// <model>") is still read, and rewritten as version 2 by the next write.
///
/// Times are wall-clock UTC in epoch milliseconds: monotonic time starts over at boot, so it
/// can not say when a reset comes after a restart. A stored `until` is rounded up to the next
/// millisecond, so a round trip never ends a state early. `invalid` has no `until`: it never
/// ends.
///
/// Every access holds an flock on `<file>.lock`, waited for at most `lock_wait` (another
/// process may be stopped while holding it): past that the call fails with `timed_out` and
/// the caller keeps what it knows in memory. A write is read-modify-write under that lock —
/// the union of what is on disk and what this process knows, each record keeping the more
/// conservative of the two states — so two processes never erase each other's findings.
///
/// Bad input is set aside, never thrown, and never loses more than it must: a file that is
/// not JSON, not this format, or another version is renamed aside (`<file>.corrupt-<ms>`,
/// `<file>.foreign-<ms>`); a file that is fine but for some records keeps the others, and the
/// bad records are copied to `<file>.corrupt-<ms>` for a person to read. Each is reported as
/// a warning. The file and its lock file are opened only as regular files, never through a
/// symbolic link, and the directory is created private (0700).

#include <governed/file/lock.hpp>
#include <governed/json_limits.hpp>
#include <governed/keys/detail/state_file.hpp>
#include <governed/keys/health.hpp>
#include <governed/keys/health_persistence.hpp>
#include <governed/result.hpp>
#include <governed/time.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace governed::keys {

/// The `format` member of every health file: a JSON file that lacks it is someone else's.
inline constexpr std::string_view health_file_format = "governed key health";
/// The version this code writes. It reads this one and version 1; another is set aside, not
/// guessed at.
inline constexpr int health_file_version = 2;
/// A health file larger than this is treated as corrupt. A record is about 150 bytes, so
/// 4 MiB holds 25 000 records: far more than any pool, far less than memory.
inline constexpr std::size_t health_file_max_bytes = std::size_t{4} << 20;
/// The health file is flat (an object, an array of records, each an object of scalars): 3
/// levels. Deeper text is not a health file.
inline constexpr std::size_t health_file_max_depth = 8;

namespace detail {

inline std::optional<KeyHealth> health_from_string(std::string_view s) noexcept {
  for (KeyHealth h : {KeyHealth::cooling, KeyHealth::exhausted, KeyHealth::invalid})
    if (s == health_name(h)) return h;
  return std::nullopt;
}

/// What parsing a health file found.
struct ParsedHealthFile {
  enum class Kind { ok, corrupt, foreign } kind = Kind::ok;
  std::string why;  ///< for a file that is not ok
  HealthRecords records;
  /// Records that could not be read, as they were, and why each (for the warning).
  nlohmann::json bad_records = nlohmann::json::array();
  std::vector<std::string> bad_reasons;
  int version = 0;  ///< the version the file had
};

/// The state of one record of either version (its health, end and provider), or why it can
/// not be used. What the record is about is read apart: `parse_health_key`, `legacy_health_key`.
inline Result<HealthRecord> parse_health_record(const nlohmann::json& e) {
  const auto bad = [](std::string_view why) -> Result<HealthRecord> { return fail(Errc::parse_error, std::string(why)); };
  if (!e.is_object()) return bad("not an object");
  const auto h = e.find("health");
  const auto health =
      h != e.end() && h->is_string() ? health_from_string(h->get_ref<const std::string&>()) : std::nullopt;
  if (!health) return bad("no valid \"health\"");
  HealthRecord r{*health, WallTime::max(), {}};
  if (const auto p = e.find("provider"); p != e.end()) {
    if (!p->is_string()) return bad("a \"provider\" that is not a string");
    r.provider = p->get<std::string>();
  }
  if (*health != KeyHealth::invalid) {
    const auto u = e.find("until_ms");
    if (u == e.end() || !u->is_number_integer()) return bad("a cooling or exhausted record without an integer \"until_ms\"");
    // An unsigned value above int64 (nlohmann reads it as number_unsigned) is far future.
    r.until = u->is_number_unsigned() && u->get<std::uint64_t>() > std::uint64_t{std::numeric_limits<std::int64_t>::max()}
                  ? WallTime::max()
                  : from_epoch_ms(u->get<std::int64_t>());
  }
  return r;
}

/// The key a version 2 record is about, or why it names none.
inline Result<HealthKey> parse_health_key(const nlohmann::json& e) {
  if (!e.is_object()) return fail(Errc::parse_error, "not an object");
  const auto fp = e.find("fingerprint");
  if (fp == e.end() || !fp->is_string() || fp->get_ref<const std::string&>().empty())
    return fail(Errc::parse_error, "no \"fingerprint\"");
  HealthKey key{fp->get<std::string>()};
  if (const auto m = e.find("model"); m != e.end()) {
    if (!m->is_string() || m->get_ref<const std::string&>().empty())
      return fail(Errc::parse_error, "a \"model\" that is not a model name");
    key.model = m->get<std::string>();
  }
  return key;
}

/// Version 1 named a per-model record "<fingerprint> model <model>".
inline HealthKey legacy_health_key(std::string_view name) {
  constexpr std::string_view joint = " model ";
  const auto sep = name.find(joint);
  if (sep == std::string_view::npos) return HealthKey{std::string(name)};
  return HealthKey{std::string(name.substr(0, sep)), std::string(name.substr(sep + joint.size()))};
}

inline ParsedHealthFile parse_health_file(std::string_view text) {
  using Kind = ParsedHealthFile::Kind;
  ParsedHealthFile out;
  const auto bad = [&](Kind k, std::string why) {
    out.kind = k;
    out.why = std::move(why);
    out.records.clear();
    return out;
  };
  auto parsed = parse_json(text, JsonLimits{health_file_max_bytes, health_file_max_depth}, "the key health file");
  if (!parsed) return bad(Kind::corrupt, parsed.error().message);
  const nlohmann::json& j = *parsed;
  if (!j.is_object()) return bad(Kind::corrupt, "not a JSON object");
  const auto fmt_it = j.find("format");
  if (fmt_it == j.end() || !fmt_it->is_string() || fmt_it->get_ref<const std::string&>() != health_file_format)
    return bad(Kind::foreign, fmt::format("not a \"{}\" file", health_file_format));
  const auto ver = j.find("version");
  if (ver == j.end() || !ver->is_number_integer()) return bad(Kind::corrupt, "no integer \"version\"");
  const std::int64_t version = ver->get<std::int64_t>();
  if (version != 1 && version != health_file_version)
    return bad(Kind::foreign, fmt::format("version {}, this program reads versions 1 and {}", version,
                                          health_file_version));
  out.version = static_cast<int>(version);
  const auto keys = j.find("keys");
  const auto set_aside = [&](const nlohmann::json& raw, std::size_t n, std::string_view why) {
    out.bad_records.push_back(raw);
    out.bad_reasons.push_back(fmt::format("record {}: {}", n + 1, why));
  };
  const auto take = [&](HealthKey key, HealthRecord r) {
    auto [it, inserted] = out.records.try_emplace(std::move(key), r);
    if (!inserted) it->second = HealthRecord(more_conservative(it->second, r));
  };
  if (version == 1) {
    if (keys == j.end() || !keys->is_object()) return bad(Kind::corrupt, "no \"keys\" object");
    std::size_t n = 0;
    for (const auto& item : keys->items()) {
      auto r = parse_health_record(item.value());
      HealthKey key = legacy_health_key(item.key());
      // A name the writer could not have made: version 2 refuses both, so they are set aside
      // here rather than rewritten into records the next read would refuse.
      const bool named_model = item.key().find(" model ") != std::string::npos;
      if (key.fingerprint.empty()) set_aside({{item.key(), item.value()}}, n, "no fingerprint");
      else if (named_model && key.model.empty()) set_aside({{item.key(), item.value()}}, n, "an empty model name");
      else if (!r) set_aside({{item.key(), item.value()}}, n, r.error().message);
      else take(std::move(key), std::move(*r));
      ++n;
    }
    return out;
  }
  if (keys == j.end() || !keys->is_array()) return bad(Kind::corrupt, "no \"keys\" array");
  for (std::size_t n = 0; n < keys->size(); ++n) {
    const nlohmann::json& e = (*keys)[n];
    auto key = parse_health_key(e);
    auto r = key ? parse_health_record(e) : Result<HealthRecord>(tl::unexpected(key.error()));
    if (!r) set_aside(e, n, r.error().message);
    else take(std::move(*key), std::move(*r));
  }
  return out;
}

/// One record a line: a person reads each as "which key, then what about it", and the file
/// stays about as compact as the version 1 files it replaces, so what was read fits the read
/// limit again once written.
inline std::string render_health_file(const HealthRecords& records) {
  std::string out = fmt::format("{{\"format\": \"{}\", \"version\": {}, \"keys\": [", health_file_format,
                                health_file_version);
  // Each record is written field by field in the reading order above, each string escaped
  // as JSON: an insertion-ordered JSON object would say the same at the cost of a second
  // nlohmann::basic_json type in every program that includes State.
  const auto quoted = [](std::string_view s) {
    return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  };
  const char* separator = "\n  ";
  for (const auto& [key, r] : records) {
    out += separator;
    out += "{\"fingerprint\":" + quoted(key.fingerprint) + ",\"provider\":" + quoted(r.provider);
    if (!key.model.empty()) out += ",\"model\":" + quoted(key.model);
    out += ",\"health\":" + quoted(health_name(r.health));
    if (r.health != KeyHealth::invalid) out += fmt::format(",\"until_ms\":{}", to_epoch_ms_ceil(r.until));
    out += '}';
    separator = ",\n  ";
  }
  out += "\n]}\n";
  return out;
}

}  // namespace detail

/// The health file of one host (or of one path the user chose). Cheap to copy: it holds only
/// the path and the lock bound; every call opens, locks and closes.
class HealthStore : public HealthPersistence {
 public:
  explicit HealthStore(std::filesystem::path file, std::chrono::nanoseconds lock_wait = default_lock_wait)
      : file_(std::move(file)), lock_wait_(lock_wait) {}

  const std::filesystem::path& file() const noexcept override { return file_; }
  std::chrono::nanoseconds lock_wait() const noexcept { return lock_wait_; }

  /// The records still in force at `now`. No file yet: none. What can not be used is set
  /// aside with a warning appended to `warnings` (see the file comment). Errors: `timed_out`
  /// when another process held the lock for all of `lock_wait`; `io_error` when the
  /// directory, the lock file or the file can not be used (a symbolic link, a FIFO, no
  /// permission).
  Result<HealthRecords> load(WallTime now, std::vector<std::string>& warnings) const {
    auto lock = lock_file();
    if (!lock) return tl::unexpected(lock.error());
    return read_locked(now, warnings);
  }

  /// Merges `mine` into the file and returns what the file now holds (in force at `now`):
  /// under the lock, reads the file, keeps for each record the more conservative of its
  /// state and ours, drops expired records and every record of the fingerprints in `forget`
  /// (keys a user cleared), and replaces the file atomically. Errors as `load`, and io_error
  /// when the file can not be written; the file is then as it was.
  Result<HealthRecords> merge(const HealthRecords& mine, WallTime now, std::vector<std::string>& warnings,
                              std::span<const std::string> forget = {}) const override {
    auto lock = lock_file();
    if (!lock) return tl::unexpected(lock.error());
    if (const std::size_t n = governed::detail::state_file_remove_stray_temporaries(file_); n > 0)
      warnings.push_back(fmt::format("removed {} temporary file(s) a crashed writer left beside {}", n,
                                     file_.string()));
    auto on_disk = read_locked(now, warnings);
    if (!on_disk) return on_disk;
    HealthRecords merged = std::move(*on_disk);
    for (const auto& fp : forget)
      std::erase_if(merged, [&](const auto& kv) { return kv.first.fingerprint == fp; });
    for (const auto& [key, r] : mine) {
      if (r.expired(now)) continue;
      auto [it, inserted] = merged.try_emplace(key, r);
      if (!inserted) it->second = HealthRecord(more_conservative(it->second, r));
    }
    const std::string text = detail::render_health_file(merged);
    // Never write what the next read would set aside as too large: the file on disk stays.
    if (text.size() > health_file_max_bytes)
      return fail(Errc::io_error, fmt::format("the key health of {} records would take {} bytes, more than the "
                                              "{} a health file may hold; {} is left as it was",
                                              merged.size(), text.size(), health_file_max_bytes, file_.string()));
    if (auto w = governed::detail::state_file_write(file_, text); !w) return tl::unexpected(w.error());
    return merged;
  }

 private:
  Result<governed::detail::FileLock> lock_file() const {
    const std::filesystem::path dir = file_.parent_path().empty() ? "." : file_.parent_path();
    if (auto made = governed::detail::state_dir_ensure(dir); !made)
      return fail(Errc::io_error, fmt::format("cannot use {} for the key health file: {}", dir.string(),
                                              made.error().message));
    std::filesystem::path lock_path = file_;
    lock_path += ".lock";
    return governed::detail::FileLock::acquire(lock_path, lock_wait_);
  }

  Result<HealthRecords> read_locked(WallTime now, std::vector<std::string>& warnings) const {
    auto text = governed::detail::state_file_read(file_, health_file_max_bytes);
    detail::ParsedHealthFile parsed;
    if (!text) {
      if (text.error().code != Errc::parse_error) return tl::unexpected(text.error());
      parsed.kind = detail::ParsedHealthFile::Kind::corrupt;
      parsed.why = fmt::format("larger than {} bytes", health_file_max_bytes);
    } else if (!text->has_value()) {
      return HealthRecords{};
    } else {
      parsed = detail::parse_health_file(**text);
    }
    if (parsed.kind != detail::ParsedHealthFile::Kind::ok) {
      const bool corrupt = parsed.kind == detail::ParsedHealthFile::Kind::corrupt;
      auto aside = governed::detail::state_file_set_aside(file_, corrupt ? "corrupt" : "foreign", now);
      if (!aside) return tl::unexpected(aside.error());
      warnings.push_back(fmt::format("key health file {} was unusable ({}); set aside as {}; starting "
                                     "with every key healthy",
                                     file_.string(), parsed.why, aside->string()));
      return HealthRecords{};
    }
    if (!parsed.bad_reasons.empty()) set_records_aside(parsed, now, warnings);
    std::erase_if(parsed.records, [now](const auto& kv) { return kv.second.expired(now); });
    return std::move(parsed.records);
  }

  // The file is good but for some records: the good ones are used, the bad ones copied aside
  // (the next write leaves them out) and named in a warning by position and reason, never by
  // content, which may be anything.
  void set_records_aside(const detail::ParsedHealthFile& parsed, WallTime now, std::vector<std::string>& warnings) const {
    std::string reasons;
    for (const auto& r : parsed.bad_reasons) reasons += (reasons.empty() ? "" : "; ") + r;
    std::string where = "they could not be copied aside";
    if (auto aside = governed::detail::state_file_aside_path(file_, "corrupt", now)) {
      const nlohmann::json doc = {{"format", health_file_format}, {"version", parsed.version},
                                  {"set_aside", parsed.bad_records}};
      if (auto w = governed::detail::state_file_write(*aside, doc.dump(2) + "\n"))
        where = fmt::format("copied to {}", aside->string());
    }
    warnings.push_back(fmt::format("key health file {}: {} unusable record(s) left out, the others kept ({}); {}",
                                   file_.string(), parsed.bad_reasons.size(), reasons, where));
  }

  std::filesystem::path file_;
  std::chrono::nanoseconds lock_wait_;
};

}  // namespace governed::keys
