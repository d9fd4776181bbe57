#include <governed/utf8.hpp>

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <random>
#include <string>
#include <string_view>

namespace utf8 = governed::utf8;
using namespace std::string_view_literals;

TEST_CASE("utf8: text in any script is valid, whatever its sequence lengths", "[utf8]") {
  CHECK(utf8::valid(""));
  CHECK(utf8::valid("Say hello."));
  CHECK(utf8::valid("caf\xc3\xa9"));                    // é: two bytes
  CHECK(utf8::valid("\xe6\x97\xa5\xe6\x9c\xac"));      // 日本: three bytes each
  CHECK(utf8::valid("\xf0\x9f\x98\x80"));              // U+1F600: four bytes
  CHECK(utf8::valid("\xef\xbf\xbd"));                  // U+FFFD, the replacement character
  CHECK(utf8::valid("\xf4\x8f\xbf\xbf"));              // U+10FFFF, the last code point
  CHECK(utf8::valid("nul \0 inside"sv));               // U+0000 is text too
  static_assert(utf8::valid("caf\xc3\xa9"));
}

TEST_CASE("utf8: stray, overlong, surrogate, too large and cut-short sequences are not valid", "[utf8]") {
  CHECK_FALSE(utf8::valid("\xff\xfe"));               // never in UTF-8
  CHECK_FALSE(utf8::valid("\x80"));                   // a continuation byte alone
  CHECK_FALSE(utf8::valid("\xc0\x80"));               // U+0000 overlong
  CHECK_FALSE(utf8::valid("\xe0\x80\xaf"));           // '/' overlong in three bytes
  CHECK_FALSE(utf8::valid("\xf0\x80\x80\xaf"));       // '/' overlong in four bytes
  CHECK_FALSE(utf8::valid("\xed\xa0\x80"));           // U+D800, a UTF-16 surrogate
  CHECK_FALSE(utf8::valid("\xf4\x90\x80\x80"));       // U+110000, past the last code point
  CHECK_FALSE(utf8::valid("\xf5\x80\x80\x80"));       // a lead byte past U+10FFFF
  CHECK_FALSE(utf8::valid("caf\xc3"));                // cut short at the end
  CHECK_FALSE(utf8::valid("\xe6\x97x"));              // cut short by an ASCII byte
  CHECK_FALSE(utf8::valid("\xf0\x9f\x98"));           // three of four bytes
}

namespace {

/// Whether nlohmann's writer takes `s` as a string: the rule the response cache's key used
/// before it was written without JSON.
bool json_writer_takes(const std::string& s) {
  try {
    (void)nlohmann::json(s).dump();
    return true;
  } catch (const nlohmann::json::type_error&) {
    return false;
  }
}

}  // namespace

TEST_CASE("utf8: agrees with nlohmann's JSON writer on every one- and two-byte string and on sampled longer ones",
          "[utf8]") {
  std::size_t disagreements = 0;
  const auto compare = [&](const std::string& s) {
    if (utf8::valid(s) != json_writer_takes(s)) ++disagreements;
  };
  for (int a = 0; a < 256; ++a) {
    compare(std::string(1, char(a)));
    for (int b = 0; b < 256; ++b) compare(std::string{char(a), char(b)});
  }
  // Longer strings, seeded: each byte from the lead and continuation ranges most of the time.
  std::mt19937 random(20261207);
  std::uniform_int_distribution<int> any(0, 255), high(0x7f, 0xf5), length(3, 6);
  for (int i = 0; i < 50'000; ++i) {
    std::string s(static_cast<std::size_t>(length(random)), '\0');
    for (auto& c : s) c = char(random() % 4 == 0 ? any(random) : high(random));
    compare(s);
  }
  CHECK(disagreements == 0);
}
