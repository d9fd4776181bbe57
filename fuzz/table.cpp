// Fuzzes the provider-table override loader: any bytes — 100 000-deep nesting and long
// bodies among the seeds — are either a valid table or an error that names the source; the
// built-in table is never changed.

#include <governed/dialect/answer_json.hpp>
#include <governed/providers/table_json.hpp>
#include <governed/providers/usage.hpp>

#include <cstdint>
#include <string_view>

namespace gp = governed::providers;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view s(reinterpret_cast<const char*>(data), size);
  const auto& base = gp::builtin_table();
  const std::size_t before = base.models().size();
  auto t = gp::apply_override(base, s, "fuzz.json");
  // An error names the source first: "fuzz.json: line 3: …", "fuzz.json nests deeper than …".
  if (!t && t.error().message.rfind("fuzz.json", 0) != 0) __builtin_trap();
  if (base.models().size() != before) __builtin_trap();
  (void)governed::dialect::extract_usage(s);
  return 0;
}
