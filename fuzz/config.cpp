// Fuzzes the configuration reader: any bytes, read as a JSON configuration and as an
// environment (NAME=VALUE lines), give a configuration or an error naming where; never a
// crash, a hang or an exception. What either path accepts, State::create's own checks accept
// too, and a refused key's value never appears in its error.

#include <governed/config.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace {

/// The input's lines as variables: "NAME=VALUE" (a line without '=' is skipped).
governed::Environment environment_of(std::string_view text) {
  std::map<std::string, std::string> vars;
  while (!text.empty()) {
    const auto end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    if (const auto eq = line.find('='); eq != std::string_view::npos)
      vars.insert_or_assign(std::string(line.substr(0, eq)), std::string(line.substr(eq + 1)));
  }
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

/// What State::create checks first, every rule of `validate`: a configuration read is never
/// refused later.
void check_accepted(const governed::Configuration& c) {
  if (!governed::validate(c.state)) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto env = environment_of(text);

  auto json = governed::from_json(text, "fuzz.json", env);
  if (json) check_accepted(*json);
  else if (json.error().message.rfind("fuzz.json", 0) != 0) __builtin_trap();

  for (const char* prefix : {"OPENAI", "GROQ", "AZURE"}) {
    auto c = governed::from_env(prefix, {}, env);
    if (c) check_accepted(*c);
    // A refused secret-shaped key is never repeated in its error.
    else if (auto key = env(std::string(prefix) + "_API_KEY");
             key && governed::providers::redact(*key) != *key && c.error().message.find(*key) != std::string::npos)
      __builtin_trap();
  }
  return 0;
}
