// Fuzzes the key-health file reader: any bytes give records, or a file set aside as corrupt
// or foreign with a reason; never a crash, a hang or an exception, and a nesting past the
// file's depth limit is refused without recursing on it. Whatever it accepts, the store's
// writer writes back as a file the reader reads to the same records, all of them kept: the
// next process must see what this one saw.

#include <governed/keys/health_file.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace gk = governed::keys;
using Kind = gk::detail::ParsedHealthFile::Kind;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parsed = gk::detail::parse_health_file(text);

  if (parsed.kind != Kind::ok) {
    // A file set aside says why, and nothing of it is used.
    if (parsed.why.empty() || !parsed.records.empty()) __builtin_trap();
    return 0;
  }
  if (parsed.version != 1 && parsed.version != gk::health_file_version) __builtin_trap();
  // Each record left out is kept as it was, with its reason.
  if (parsed.bad_records.size() != parsed.bad_reasons.size()) __builtin_trap();

  const std::string written = gk::detail::render_health_file(parsed.records);
  const auto reread = gk::detail::parse_health_file(written);
  if (reread.kind != Kind::ok || reread.version != gk::health_file_version) __builtin_trap();
  if (!reread.bad_reasons.empty()) __builtin_trap();
  if (reread.records != parsed.records) __builtin_trap();
  return 0;
}
