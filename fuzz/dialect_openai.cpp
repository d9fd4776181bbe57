// Fuzzes the readers of the OpenAI home (include/governed/dialect/openai/): chat-completions
// replies, their streamed chunks as every compatible API sends them, error bodies — OpenAI's,
// and Azure's through its own home — and chat-completions requests read back. What must hold:
// dialect_harness.hpp.

#include "dialect_harness.hpp"

#include <governed/dialect/azure/error.hpp>
#include <governed/dialect/openai/error.hpp>
#include <governed/dialect/openai/reply.hpp>

namespace {

constexpr dialect_fuzz::ErrorRoute openai_errors[] = {
    {"openai", governed::providers::Dialect::openai, &governed::dialect::openai::decode_error},
    {"azure", governed::providers::Dialect::azure, &governed::dialect::azure::decode_error},
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const dialect_fuzz::Home home{governed::providers::Dialect::openai, "openai",
                                       &governed::dialect::openai::decode_completion, openai_errors,
                                       "/v1/chat/completions", "https://api.openai.com/v1"};
  return dialect_fuzz::run(home, data, size);
}
