// Fuzzes the one-pass reader of successful replies against the document readers: for any
// bytes, in every dialect, both must find the same text and the same usage, or both refuse —
// a body nested past the limits included, which neither may recurse on.

#include <governed/dialect/answer_json.hpp>
#include <governed/dialect/reply.hpp>
#include <governed/json_limits.hpp>
#include <governed/providers/completion.hpp>
#include <governed/providers/usage.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace gp = governed::providers;
namespace gd = governed::dialect;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const auto doc = governed::parse_json(body, governed::JsonLimits{}, "the reply body");
  for (gp::Dialect d : {gp::Dialect::openai, gp::Dialect::anthropic, gp::Dialect::gemini}) {
    const auto one_pass = gd::decode_completion(d, body);
    if (one_pass.has_value() != doc.has_value()) __builtin_trap();
    if (!one_pass) continue;
    if (one_pass->content != gd::content_from_json(d, *doc)) __builtin_trap();
    const auto usage = gd::usage_from_json(*doc);
    if (one_pass->usage.has_value() != usage.has_value()) __builtin_trap();
    if (usage && !(*one_pass->usage == *usage)) __builtin_trap();
  }
  return 0;
}
