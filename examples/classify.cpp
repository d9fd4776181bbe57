// governed-classify: reads provider replies as JSON lines and prints what governed would do
// about each one.
//
//   governed-classify [files...] [--table override.json] [--now 2024-03-26T20:00:00Z]
//                     [--redact-key KEY]... [--max-line-bytes N] [--max-depth N]
//
// Input, one JSON object a line: {"id"?, "provider", "status", "headers"?, "body"?, "model"?}
// ("body" is the reply text; an object or array is taken as its JSON text). Output, one line
// per input, written out as soon as it is known: {"id", "kind", "scope", "retryable",
// "wait_seconds", "rotate_key", "message"}. A line that is malformed, longer than
// --max-line-bytes or nested deeper than --max-depth yields {"file"?, "line", "error"} naming
// it, and reading goes on. Every key given with --redact-key is removed from everything
// written, the echoed id included. `now` is --now, else the reply's own `date` header, else
// the system clock. Exit status: 0 when every line was classified, 1 when some line was
// malformed, 2 for a usage error or when an input or the table could not be read.

#include <governed/dialect/classify.hpp>
#include <governed/json_limits.hpp>
#include <governed/providers.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace gp = governed::providers;
using nlohmann::json;

namespace {

struct Options {
  std::vector<std::string> files;
  std::string table_file;
  std::string now;
  std::vector<std::string> keys;
  governed::JsonLimits limits;
};

/// Writes one output line and flushes it: what was classified is out before the next line
/// is read, whatever that line holds.
void emit(std::ostream& out, const nlohmann::ordered_json& j) {
  out << j.dump(-1, ' ', false, json::error_handler_t::replace) << '\n';
  out.flush();
}

/// Reports a line that could not be classified, naming it; always false.
bool report(std::ostream& out, const Options& opt, const std::string& file, std::size_t line_no, std::string_view what) {
  nlohmann::ordered_json e;
  if (!file.empty()) e["file"] = gp::redact(file, opt.keys);
  e["line"] = line_no;
  e["error"] = gp::redact(what, opt.keys);
  emit(out, e);
  return false;
}

/// The input line's `id` as it goes out: a number as it came, a string redacted, and anything
/// else (an object, an array) as its JSON text, redacted. The tree came through parse_json,
/// so writing it out is bounded by the depth limit.
json echoed_id(const json& id, const Options& opt) {
  if (id.is_null() || id.is_number() || id.is_boolean()) return id;
  if (id.is_string()) return gp::redact(id.get_ref<const std::string&>(), opt.keys);
  return gp::redact(id.dump(-1, ' ', false, json::error_handler_t::replace), opt.keys);
}

/// One input line to one output line; false when the line was malformed.
bool classify_line(const gp::Table& table, const Options& opt, std::optional<governed::WallTime> fixed_now,
                   std::string_view line, const std::string& file, std::size_t line_no, std::ostream& out) {
  auto error = [&](std::string_view what) { return report(out, opt, file, line_no, what); };
  auto parsed = governed::parse_json(line, opt.limits, "the line");
  if (!parsed) return error(parsed.error().message);
  const json& j = *parsed;
  if (!j.is_object()) return error("not a JSON object");
  auto provider = j.find("provider");
  if (provider == j.end() || !provider->is_string()) return error("\"provider\" must be a string");
  auto status = j.find("status");
  if (status == j.end() || !status->is_number_integer()) return error("\"status\" must be an integer");
  std::vector<std::pair<std::string, std::string>> header_text;
  if (auto h = j.find("headers"); h != j.end() && !h->is_null()) {
    if (!h->is_object()) return error("\"headers\" must be an object");
    for (const auto& [k, v] : h->items()) {
      if (v.is_string()) header_text.emplace_back(k, v.get<std::string>());
      else if (v.is_number()) header_text.emplace_back(k, v.dump());
      else return error(fmt::format("header \"{}\" must be a string", k));
    }
  }
  std::string body;
  if (auto b = j.find("body"); b != j.end() && !b->is_null())
    body = b->is_string() ? b->get<std::string>() : b->dump(-1, ' ', false, json::error_handler_t::replace);
  std::string model;
  if (auto m = j.find("model"); m != j.end() && m->is_string()) model = m->get<std::string>();

  std::vector<gp::Header> headers;
  for (const auto& [k, v] : header_text) headers.push_back({k, v});
  const gp::HeaderView view{headers};
  governed::WallTime now;
  if (fixed_now) {
    now = *fixed_now;
  } else if (auto d = view.get("date"); d && gp::parse_http_date(*d)) {
    now = *gp::parse_http_date(*d);
  } else {
    now = std::chrono::time_point_cast<governed::Duration>(std::chrono::system_clock::now());
  }
  const int code = static_cast<int>(std::clamp<std::int64_t>(status->get<std::int64_t>(), -1, 1000));
  const auto v = governed::dialect::classify(table, provider->get<std::string>(), code, view, body, now);

  nlohmann::ordered_json o;  // the documented field order, for people reading the stream
  auto id = j.find("id");
  o["id"] = id != j.end() ? echoed_id(*id, opt) : json(nullptr);
  o["kind"] = gp::to_string(v.kind);
  o["scope"] = gp::to_string(v.scope);
  o["retryable"] = v.retryable;
  o["wait_seconds"] = v.wait ? json(std::chrono::duration<double>(*v.wait).count()) : json(nullptr);
  o["rotate_key"] = v.rotate_key;
  o["message"] = gp::describe(v, provider->get<std::string>(), model, opt.keys);
  emit(out, o);
  return true;
}

/// Reads the next line of `in` into `line`, keeping at most `max` bytes of it: a line can not
/// make the program hold more than the limit. False at the end of the input. `too_long` says
/// the line had more (the rest was skipped).
bool next_line(std::istream& in, std::string& line, std::size_t max, bool& too_long) {
  line.clear();
  too_long = false;
  std::streambuf* buf = in.rdbuf();
  bool any = false;
  for (int c = buf->sbumpc(); c != std::char_traits<char>::eof(); c = buf->sbumpc()) {
    if (c == '\n') return true;
    any = true;
    if (line.size() < max) line.push_back(static_cast<char>(c));
    else too_long = true;
  }
  in.setstate(std::ios::eofbit);
  return any;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  CLI::App app{"Reads provider replies as JSON lines and prints what governed would do about each."};
  app.add_option("files", opt.files, "Files of JSON lines (default: standard input)")->check(CLI::ExistingFile);
  app.add_option("--table", opt.table_file, "A provider table override file (JSON merge patch)")
      ->check(CLI::ExistingFile);
  app.add_option("--now", opt.now, "The time replies arrived, RFC 3339 (default: each reply's date header)");
  // One key per occurrence: `--redact-key K file` must not take the file as a second key.
  app.add_option("--redact-key", opt.keys, "A key to remove from everything written (repeatable)")
      ->allow_extra_args(false);
  app.add_option("--max-line-bytes", opt.limits.max_bytes, "The longest input line read (bytes)")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::numeric_limits<std::size_t>::max()));
  app.add_option("--max-depth", opt.limits.max_depth, "The deepest nesting of objects and arrays in a line")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::numeric_limits<std::size_t>::max()));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help is a ParseError too, exiting 0; anything else is a usage error: CLI11's message,
    // and 2, the status command-line programs use for one.
    return app.exit(e) == 0 ? 0 : 2;
  }

  const gp::Table* table = &gp::builtin_table();
  governed::Result<gp::Table> custom = gp::builtin_table();
  if (!opt.table_file.empty()) {
    custom = gp::load_override_file(gp::builtin_table(), opt.table_file);
    if (!custom) {
      std::cerr << "governed-classify: " << gp::redact(custom.error().message, opt.keys) << '\n';
      return 2;
    }
    table = &*custom;
  }
  std::optional<governed::WallTime> fixed_now;
  if (!opt.now.empty()) {
    fixed_now = gp::parse_rfc3339(opt.now);
    if (!fixed_now) {
      std::cerr << "governed-classify: --now must be an RFC 3339 time such as 2024-03-26T20:00:00Z\n";
      return 2;
    }
  }

  std::ios::sync_with_stdio(false);
  bool all_ok = true;
  auto run = [&](std::istream& in, const std::string& name) {
    std::string line;
    bool too_long = false;
    for (std::size_t n = 1; next_line(in, line, opt.limits.max_bytes, too_long); ++n) {
      if (too_long) {
        all_ok = report(std::cout, opt, name, n,
                        fmt::format("the line is longer than the limit of {} bytes", opt.limits.max_bytes));
        continue;
      }
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      all_ok &= classify_line(*table, opt, fixed_now, line, name, n, std::cout);
    }
  };
  if (opt.files.empty()) {
    run(std::cin, "");
  } else {
    for (const auto& f : opt.files) {
      std::ifstream in(f, std::ios::binary);
      if (!in) {
        std::cerr << "governed-classify: " << gp::redact(f, opt.keys) << ": can not be read\n";
        return 2;
      }
      run(in, opt.files.size() > 1 ? f : "");
    }
  }
  return all_ok ? 0 : 1;
}
