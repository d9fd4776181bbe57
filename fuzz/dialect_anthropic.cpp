// Fuzzes the readers of the Anthropic home (include/governed/dialect/anthropic/): Messages
// replies, their stream of message events with usage added up across them, error bodies, and
// messages requests read back.
// What must hold: dialect_harness.hpp.

#include "dialect_harness.hpp"

#include <governed/dialect/anthropic/error.hpp>
#include <governed/dialect/anthropic/reply.hpp>

namespace {

constexpr dialect_fuzz::ErrorRoute anthropic_errors[] = {
    {"anthropic", governed::providers::Dialect::anthropic, &governed::dialect::anthropic::decode_error},
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const dialect_fuzz::Home home{governed::providers::Dialect::anthropic, "anthropic",
                                       &governed::dialect::anthropic::decode_completion, anthropic_errors,
                                       "/v1/messages", "https://api.anthropic.com/v1"};
  return dialect_fuzz::run(home, data, size);
}
