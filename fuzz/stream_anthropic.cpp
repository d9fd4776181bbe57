// Fuzzes the reading of a streamed Anthropic reply — message events, usage added up across
// them — through dialect::StreamReader, as transport::http reads it. What must hold:
// stream_reader.hpp.

#include "stream_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return stream_fuzz::run(governed::providers::Dialect::anthropic, "anthropic", data, size);
}
