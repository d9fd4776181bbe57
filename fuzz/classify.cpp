// Fuzzes the reply classifier end to end: any provider, status, headers and body must give a
// verdict (and a redacted message) without crashing, hanging or growing without bound.
//
// Input layout: byte 0 picks the provider, bytes 1-2 the status (little endian, mod 700),
// then header lines "name: value" up to an empty line, then the body.

#include <governed/dialect/answer_json.hpp>
#include <governed/dialect/classify.hpp>
#include <governed/providers.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gp = governed::providers;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static constexpr std::string_view providers[] = {"openai",     "anthropic", "gemini",  "groq",
                                                   "azure",      "openrouter", "mistral", "deepseek",
                                                   "together",   "bedrock",    "meta",    "litellm"};
  if (size < 3) return 0;
  const std::string_view provider = providers[data[0] % std::size(providers)];
  const int status = (data[1] | (data[2] << 8)) % 700;
  std::string_view rest(reinterpret_cast<const char*>(data + 3), size - 3);

  std::vector<gp::Header> headers;
  while (!rest.empty()) {
    const auto nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    if (line.empty()) break;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    headers.push_back({line.substr(0, colon), value});
  }
  const governed::WallTime now{std::chrono::seconds{1'711'483'199}};
  const auto v = governed::dialect::classify(provider, status, gp::HeaderView{headers}, rest, now);
  const std::vector<std::string> keys{"configured-key-0001"};
  const std::string m = gp::describe(v, provider, "model", keys);
  if (v.wait && (*v.wait < governed::Duration::zero() || *v.wait > gp::max_usable_wait)) __builtin_trap();
  if (m.find("configured-key-0001") != std::string::npos) __builtin_trap();
  (void)governed::dialect::extract_usage(rest);
  return 0;
}
