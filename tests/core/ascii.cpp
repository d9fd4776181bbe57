#include <governed/ascii.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

namespace ascii = governed::ascii;
using namespace std::string_view_literals;

TEST_CASE("ascii: header names and URL schemes compare equal whatever their case", "[ascii]") {
  CHECK(ascii::iequals("Retry-After", "retry-after"));
  CHECK(ascii::iequals("HTTPS", "https"));
  CHECK(ascii::iequals("", ""));
  CHECK_FALSE(ascii::iequals("retry-after", "retry-afte"));
  CHECK_FALSE(ascii::iequals("x-ratelimit-a", "x-ratelimit-b"));
  // Only A–Z fold: '@' (0x40) and '`' (0x60) sit next to the letters and stay distinct.
  CHECK_FALSE(ascii::iequals("@", "`"));
  CHECK_FALSE(ascii::iequals("[", "{"));
  static_assert(ascii::iequals("Bearer", "bEARER"));
}

TEST_CASE("ascii: lowering changes A to Z only, never UTF-8 bytes", "[ascii]") {
  CHECK(ascii::lowered("X-RateLimit-Reset-Tokens") == "x-ratelimit-reset-tokens");
  CHECK(ascii::lowered("Try Again In 6S") == "try again in 6s");
  const std::string micro = "\xc2\xb5s";  // "µs", as a wait unit is written
  CHECK(ascii::lowered(micro) == micro);
  CHECK(ascii::lowered("\xC3\x89T\xC3\x89") == "\xC3\x89t\xC3\x89");  // "ÉTÉ": only the T folds
  for (int c = -128; c < 128; ++c) {
    const char ch = static_cast<char>(c);
    const char want = ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch + 32) : ch;
    REQUIRE(ascii::lower(ch) == want);
  }
}

TEST_CASE("ascii: trimming drops spaces, tabs, CR and LF at both ends and nothing inside", "[ascii]") {
  CHECK(ascii::trim("  6m0s\r\n") == "6m0s");
  CHECK(ascii::trim("\t Tier 1 \t") == "Tier 1");
  CHECK(ascii::trim("\n5") == "5");
  CHECK(ascii::trim(" \t\r\n").empty());
  CHECK(ascii::trim("").empty());
  // A vertical tab or form feed is no white space to HTTP: left for the reader to refuse.
  CHECK(ascii::trim("\v5\f") == "\v5\f");
  static_assert(ascii::trim("  a b  ") == "a b"sv);
}

TEST_CASE("ascii: each end can be trimmed on its own, of blanks only or of all white space", "[ascii]") {
  CHECK(ascii::trim_front(" \t\nx \n") == "x \n");
  CHECK(ascii::trim_back(" \t\nx \n") == " \t\nx");
  CHECK(ascii::trim(" \tinternal.corp \t", ascii::is_blank) == "internal.corp");
  // A line break is no blank: a value that starts with one keeps it.
  CHECK(ascii::trim_front("\n5", ascii::is_blank) == "\n5");
  CHECK(ascii::trim(" \r\n ", ascii::is_blank) == "\r\n");
  CHECK(ascii::is_blank('\t'));
  CHECK_FALSE(ascii::is_blank('\n'));
}


TEST_CASE("ascii: a case-insensitive prefix, as an Authorization scheme is read", "[ascii]") {
  CHECK(ascii::istarts_with("bearer sk-test", "Bearer "));
  CHECK(ascii::istarts_with("BEARER x", "Bearer "));
  CHECK(ascii::istarts_with("anything", ""));
  CHECK_FALSE(ascii::istarts_with("Bear", "Bearer "));
  CHECK_FALSE(ascii::istarts_with("Basic dXNlcg==", "Bearer "));
}

TEST_CASE("ascii: digits, hex digits, letters, white space and control bytes are told apart", "[ascii]") {
  CHECK(ascii::hex_value('0') == 0);
  CHECK(ascii::hex_value('9') == 9);
  CHECK(ascii::hex_value('a') == 10);
  CHECK(ascii::hex_value('F') == 15);
  CHECK(ascii::hex_value('g') == -1);
  CHECK(ascii::hex_value('%') == -1);
  CHECK(ascii::hex_value('\xb5') == -1);
  CHECK(ascii::is_hex_digit('c'));
  CHECK_FALSE(ascii::is_hex_digit('G'));
  CHECK(ascii::is_digit('7'));
  CHECK_FALSE(ascii::is_digit('a'));
  CHECK(ascii::is_alpha('q'));
  CHECK(ascii::is_alpha('Q'));
  CHECK_FALSE(ascii::is_alpha('\xc3'));
  CHECK(ascii::is_alnum('0'));
  CHECK_FALSE(ascii::is_alnum('-'));
  CHECK(ascii::is_space('\r'));
  CHECK_FALSE(ascii::is_space('\v'));
  CHECK(ascii::is_control('\0'));
  CHECK(ascii::is_control('\x1f'));
  CHECK(ascii::is_control('\x7f'));
  CHECK_FALSE(ascii::is_control(' '));
  CHECK_FALSE(ascii::is_control('\x80'));
}
