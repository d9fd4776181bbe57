// Fuzzes the reading of a streamed OpenAI reply — chat-completions chunks, as every
// compatible API sends them — through dialect::StreamReader, as transport::http reads it. What
// must hold: stream_reader.hpp.

#include "stream_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return stream_fuzz::run(governed::providers::Dialect::openai, "openai", data, size);
}
