// governed-classify: reads provider replies as JSON lines and prints what governed would do
// about each one.
//
//   governed-classify [files...] [--table override.json] [--now 2024-03-26T20:00:00Z]
//                     [--redact-key KEY]...
//
// Input, one JSON object a line: {"id"?, "provider", "status", "headers"?, "body"?, "model"?}
// ("body" is the reply text; an object or array is taken as its JSON text). Output, one line
// per input: {"id", "kind", "scope", "retryable", "wait_seconds", "rotate_key", "message"}.
// A malformed line yields {"file"?, "line", "error"} naming it, and reading goes on. `now` is --now,
// else the reply's own `date` header, else the system clock. Exit status: 0 when every line
// was classified, 1 when some line was malformed, 2 when an input or the table could not be
// read.

#include <governed/providers.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <iostream>
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
};

/// One input line to one output line; false when the line was malformed.
bool classify_line(const gp::Table& table, const Options& opt, std::optional<governed::WallTime> fixed_now,
                   std::string_view line, const std::string& file, std::size_t line_no, std::ostream& out) {
  auto error = [&](std::string what) {
    nlohmann::ordered_json e;
    if (!file.empty()) e["file"] = file;
    e["line"] = line_no;
    e["error"] = gp::redact(what, opt.keys);
    out << e.dump(-1, ' ', false, json::error_handler_t::replace) << '\n';
    return false;
  };
  const json j = json::parse(line.begin(), line.end(), nullptr, false);
  if (j.is_discarded()) return error("not valid JSON");
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
      else return error("header \"" + k + "\" must be a string");
    }
  }
  std::string body;
  if (auto b = j.find("body"); b != j.end() && !b->is_null())
    body = b->is_string() ? b->get<std::string>() : b->dump();
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
  const auto v = gp::classify(table, provider->get<std::string>(), code, view, body, now);

  nlohmann::ordered_json o;  // the documented field order, for people reading the stream
  if (auto id = j.find("id"); id != j.end()) o["id"] = *id;
  else o["id"] = nullptr;
  o["kind"] = gp::to_string(v.kind);
  o["scope"] = gp::to_string(v.scope);
  o["retryable"] = v.retryable;
  o["wait_seconds"] = v.wait ? json(std::chrono::duration<double>(*v.wait).count()) : json(nullptr);
  o["rotate_key"] = v.rotate_key;
  o["message"] = gp::describe(v, provider->get<std::string>(), model, opt.keys);
  out << o.dump(-1, ' ', false, json::error_handler_t::replace) << '\n';
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  CLI::App app{"Reads provider replies as JSON lines and prints what governed would do about each."};
  app.add_option("files", opt.files, "Files of JSON lines (default: standard input)")->check(CLI::ExistingFile);
  app.add_option("--table", opt.table_file, "A provider table override file (JSON merge patch)")
      ->check(CLI::ExistingFile);
  app.add_option("--now", opt.now, "The time replies arrived, RFC 3339 (default: each reply's date header)");
  app.add_option("--redact-key", opt.keys, "A key to remove from messages wherever it appears");
  CLI11_PARSE(app, argc, argv);

  const gp::Table* table = &gp::builtin_table();
  governed::Result<gp::Table> custom = gp::builtin_table();
  if (!opt.table_file.empty()) {
    custom = gp::load_override_file(gp::builtin_table(), opt.table_file);
    if (!custom) {
      std::cerr << "governed-classify: " << custom.error().message << '\n';
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
    for (std::size_t n = 1; std::getline(in, line); ++n) {
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
        std::cerr << "governed-classify: " << f << ": can not be read\n";
        return 2;
      }
      run(in, opt.files.size() > 1 ? f : "");
    }
  }
  std::cout.flush();
  return all_ok ? 0 : 1;
}
