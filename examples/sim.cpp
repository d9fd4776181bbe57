// governed-sim: simulated LLM providers over loopback HTTP, for demos, load tests and the
// providers' own SDKs pointed at it.
//
//   governed-sim [--port 0] [--provider openai[,anthropic,gemini,...]] [--tier tier1]
//                [--rpm N] [--tpm N] [--rpd N] [--latency-ms 300] [--token-ms 20]
//                [--fail-rate 0.0] [--keys KEY[:STATUS[:ACCOUNT]],...] [--time-scale 1]
//
// The first line printed is `listening on http://127.0.0.1:PORT`; then one line per provider
// with the base URL its clients use (`openai http://127.0.0.1:PORT/v1`). It serves until
// SIGINT or SIGTERM.
//
// Limits: --rpm/--tpm/--rpd set them for every key's account (sliding 60 s and 24 h
// windows); without any of them, the provider table's limits for --tier apply to the models
// it knows. Keys: STATUS is valid (default), exhausted (billing spent: 429 insufficient_quota,
// Anthropic 400, DeepSeek 402) or invalid (401); keys naming one ACCOUNT share its limits,
// others each have their own. --fail-rate injects capacity failures (529 overloaded for
// Anthropic, 503 elsewhere) and 500s, half each. --time-scale 60 runs a simulated minute in
// one real second: windows, latency and the `date` headers all follow it. Keys never appear
// in the output.

#include <governed/clock/scaled.hpp>
#include <governed/clock/steady.hpp>
#include <governed/sim/server.hpp>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <fmt/format.h>

#include <csignal>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sim = governed::sim;
namespace gclock = governed::clock;

namespace {

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  while (true) {
    const auto at = s.find(sep);
    out.emplace_back(s.substr(0, at));
    if (at == std::string_view::npos) return out;
    s.remove_prefix(at + 1);
  }
}

/// `KEY[:STATUS[:ACCOUNT]],...`; an error names the entry by position, never the key.
governed::Result<std::vector<sim::KeySpec>> parse_keys(std::string_view text) {
  std::vector<sim::KeySpec> out;
  std::size_t i = 0;
  for (const auto& entry : split(text, ',')) {
    ++i;
    if (entry.empty()) continue;
    const auto parts = split(entry, ':');
    if (parts.size() > 3 || parts[0].empty())
      return governed::fail(governed::Errc::invalid_argument,
                            fmt::format("--keys: entry {} is not KEY[:STATUS[:ACCOUNT]]", i));
    sim::KeySpec k{.key = parts[0]};
    if (parts.size() > 1) {
      if (parts[1] == "valid") k.status = sim::KeyStatus::valid;
      else if (parts[1] == "exhausted") k.status = sim::KeyStatus::exhausted;
      else if (parts[1] == "invalid") k.status = sim::KeyStatus::invalid;
      else
        return governed::fail(governed::Errc::invalid_argument,
                              fmt::format("--keys: entry {}: the status must be valid, exhausted or invalid", i));
    }
    if (parts.size() > 2) k.account = parts[2];
    out.push_back(std::move(k));
  }
  if (out.empty()) return governed::fail(governed::Errc::invalid_argument, "--keys: no key given");
  return out;
}

template <class Clock>
int serve(Clock& clock, std::vector<std::shared_ptr<sim::Provider>> providers, sim::ServerOptions options) {
  std::vector<std::string> names;
  for (const auto& p : providers) names.push_back(p->config().provider);
  // Signals are caught before the first line goes out, so a script may stop the server as
  // soon as it has read it.
  boost::asio::io_context io;
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  auto server = sim::Server<Clock>::create(std::move(providers), clock, options);
  if (!server) {
    fmt::print(stderr, "governed-sim: {}\n", server.error().message);
    return 2;
  }
  // Scripts read the port from this first line.
  fmt::print("listening on {}\n", (*server)->url());
  for (const auto& name : names) fmt::print("{} {}\n", name, (*server)->base_url(name));
  std::fflush(stdout);
  signals.async_wait([](const boost::system::error_code&, int) {});
  io.run();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"governed-sim: simulated LLM providers over loopback HTTP"};
  std::uint16_t port = 0;
  std::string provider_list = "openai";
  std::string tier = "tier1";
  std::optional<std::int64_t> rpm, tpm, rpd;
  double latency_ms = 300, token_ms = 20, fail_rate = 0, time_scale = 1;
  std::string keys_text = "sk-sim:valid";
  std::size_t threads = 2;
  std::uint64_t seed = 1;
  sim::ServerOptions options;
  app.add_option("--port", port, "TCP port on 127.0.0.1 (0: any free port)");
  app.add_option("--provider", provider_list,
                 "providers to imitate, comma-separated: openai, anthropic, gemini, groq, azure, openrouter, mistral, "
                 "deepseek, openai_compatible")
      ->capture_default_str();
  app.add_option("--tier", tier, "the table's tier whose limits apply when no --rpm/--tpm/--rpd is given")
      ->capture_default_str();
  app.add_option("--rpm", rpm, "requests per minute per account")->check(CLI::NonNegativeNumber);
  app.add_option("--tpm", tpm, "tokens per minute per account")->check(CLI::NonNegativeNumber);
  app.add_option("--rpd", rpd, "requests per day per account")->check(CLI::NonNegativeNumber);
  app.add_option("--latency-ms", latency_ms, "time to the first token, in (simulated) milliseconds")
      ->check(CLI::Range(0.0, 3.6e6))
      ->capture_default_str();
  app.add_option("--token-ms", token_ms, "time per generated token, in (simulated) milliseconds")
      ->check(CLI::Range(0.0, 6e4))
      ->capture_default_str();
  app.add_option("--fail-rate", fail_rate, "share of requests answered 529/503 or 500 (half each)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--keys", keys_text, "KEY[:valid|exhausted|invalid[:ACCOUNT]],... (default: one valid key sk-sim)");
  app.add_option("--time-scale", time_scale, "simulated seconds per real second (60: a minute per second)")
      ->check(CLI::Range(1e-3, 1e6))
      ->capture_default_str();
  app.add_option("--threads", threads, "I/O threads")->check(CLI::Range(1, 64))->capture_default_str();
  app.add_option("--seed", seed, "seed of injected failures")->capture_default_str();
  app.add_option("--max-body-bytes", options.max_body_bytes,
                 "the largest request body one connection may send (larger: 413, unread)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--max-body-bytes-in-flight", options.max_body_bytes_in_flight,
                 "request body bytes held at once across all connections (more: the provider's overloaded error)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  auto keys = parse_keys(keys_text);
  if (!keys) {
    fmt::print(stderr, "governed-sim: {}\n", keys.error().message);
    return 2;
  }
  std::vector<std::shared_ptr<sim::Provider>> providers;
  for (const auto& name : split(provider_list, ',')) {
    sim::Config cfg;
    cfg.provider = name;
    cfg.keys = *keys;
    cfg.limits = {.rpm = rpm, .tpm = tpm, .rpd = rpd};
    cfg.tier = rpm || tpm || rpd ? std::string{} : tier;
    cfg.latency = {.fixed = std::chrono::duration_cast<governed::Duration>(std::chrono::duration<double, std::milli>(latency_ms)),
                   .per_output_token =
                       std::chrono::duration_cast<governed::Duration>(std::chrono::duration<double, std::milli>(token_ms))};
    cfg.failures = {.overload_rate = fail_rate / 2, .server_error_rate = fail_rate / 2};
    cfg.seed = seed;
    auto p = sim::Provider::create(std::move(cfg));
    if (!p) {
      fmt::print(stderr, "governed-sim: {}\n", p.error().message);
      return 2;
    }
    providers.push_back(std::move(*p));
  }
  options.port = port;
  options.threads = threads;
  if (time_scale == 1.0) {
    gclock::steady c;
    return serve(c, std::move(providers), options);
  }
  gclock::scaled c{time_scale};
  return serve(c, std::move(providers), options);
}
