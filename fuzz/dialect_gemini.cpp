// Fuzzes the readers of the Gemini home (include/governed/dialect/gemini/): generateContent
// replies, their streamed candidates, error bodies with their quota and retry details, and
// generateContent requests read back.
// What must hold: dialect_harness.hpp.

#include "dialect_harness.hpp"

#include <governed/dialect/gemini/error.hpp>
#include <governed/dialect/gemini/reply.hpp>

namespace {

constexpr dialect_fuzz::ErrorRoute gemini_errors[] = {
    {"gemini", governed::providers::Dialect::gemini, &governed::dialect::gemini::decode_error},
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const dialect_fuzz::Home home{governed::providers::Dialect::gemini, "gemini",
                                       &governed::dialect::gemini::decode_completion, gemini_errors,
                                       "/v1beta/models/gemini-2.5-flash:generateContent", "https://generativelanguage.googleapis.com/v1beta"};
  return dialect_fuzz::run(home, data, size);
}
