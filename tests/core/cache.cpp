// The response cache's tests, with the other top-level headers'. The header is
// include/governed/cache.hpp.
#include <governed/cache.hpp>

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using namespace std::chrono_literals;
using governed::CacheConfig;
using governed::CacheKey;
using governed::Errc;
using governed::Instant;
using nlohmann::json;

namespace {

const json hello = json::array({{{"role", "user"}, {"content", "Say hello"}}});

CacheKey key(std::string_view model, const json& params, const json& messages = hello) {
  auto k = CacheKey::of("openai", model, messages, params);
  REQUIRE(k);
  return *k;
}

}  // namespace

TEST_CASE("a cached response is served within the TTL and not after", "[cache]") {
  governed::ResponseCache<std::string> cache;  // 30 s
  const auto k = key("gpt-4o-mini", {{"temperature", 0}});
  CHECK_FALSE(cache.find(k, Instant{}));
  REQUIRE(cache.insert(k, "Hello!", 6, Instant{}));
  auto hit = cache.find(k, Instant{} + 29s);
  REQUIRE(hit);
  CHECK(*hit == "Hello!");
  CHECK_FALSE(cache.find(k, Instant{} + 30s));  // the TTL is exclusive: at 30 s it is gone
  const auto s = cache.stats();
  CHECK(s.hits == 1);
  CHECK(s.misses == 2);
  CHECK(s.expirations == 1);
  CHECK(s.insertions == 1);
  CHECK(s.entries == 0);
  CHECK(s.bytes == 0);
}

TEST_CASE("equal requests with keys in another order hit; different ones never do", "[cache]") {
  governed::ResponseCache<std::string> cache;
  const auto a = key("gpt-4o-mini", json::parse(R"({"temperature": 0, "max_tokens": 50})"));
  const auto b = key("gpt-4o-mini", json::parse(R"({"max_tokens": 50, "temperature": 0.0})"));
  CHECK(a == b);
  REQUIRE(cache.insert(a, "A", 1, Instant{}));
  CHECK(cache.find(b, Instant{}));

  const json reordered_message = json::parse(R"([{"content": "Say hello", "role": "user"}])");
  CHECK(cache.find(key("gpt-4o-mini", {{"temperature", 0}, {"max_tokens", 50}}, reordered_message), Instant{}));

  CHECK_FALSE(cache.find(key("gpt-4o-mini", {{"temperature", 0.7}, {"max_tokens", 50}}), Instant{}));
  CHECK_FALSE(cache.find(key("gpt-4o-mini", {{"temperature", 0}, {"max_tokens", 51}}), Instant{}));
  CHECK_FALSE(cache.find(key("gpt-4o-mini", {{"temperature", 0}}), Instant{}));
  CHECK_FALSE(cache.find(key("gpt-4o", {{"temperature", 0}, {"max_tokens", 50}}), Instant{}));
  auto other_provider = CacheKey::of("azure", "gpt-4o-mini", hello, {{"temperature", 0}, {"max_tokens", 50}});
  CHECK_FALSE(cache.find(*other_provider, Instant{}));
  // Message order is meaning, not formatting.
  const json two = json::parse(R"([{"role":"user","content":"a"},{"role":"user","content":"b"}])");
  const json swapped = json::parse(R"([{"role":"user","content":"b"},{"role":"user","content":"a"}])");
  REQUIRE(cache.insert(key("m", {}, two), "two", 3, Instant{}));
  CHECK_FALSE(cache.find(key("m", {}, swapped), Instant{}));
  // A number and the same digits as a string differ too.
  CHECK_FALSE(key("m", {{"seed", 1}}) == key("m", {{"seed", "1"}}));
}

TEST_CASE("the least recently used entry is evicted first", "[cache]") {
  CacheConfig c;
  c.max_entries = 3;
  governed::ResponseCache<std::string> cache(c);
  const auto a = key("a", {}), b = key("b", {}), cc = key("c", {}), d = key("d", {});
  cache.insert(a, "a", 1, Instant{});
  cache.insert(b, "b", 1, Instant{});
  cache.insert(cc, "c", 1, Instant{});
  CHECK(cache.find(a, Instant{}));  // a is now the most recent; b the least
  cache.insert(d, "d", 1, Instant{});
  CHECK_FALSE(cache.find(b, Instant{}));
  CHECK(cache.find(a, Instant{}));
  CHECK(cache.find(cc, Instant{}));
  CHECK(cache.find(d, Instant{}));
  // Order now (most recent first): d, c, a. Two more push out a, then c.
  cache.insert(b, "b", 1, Instant{});
  CHECK(cache.stats().evictions == 2);
  CHECK_FALSE(cache.find(a, Instant{}));
  CHECK(cache.stats().entries == 3);
}

TEST_CASE("the byte bound evicts too, and an entry larger than it is not stored", "[cache]") {
  const auto a = key("a", {}), b = key("b", {});
  CacheConfig c;
  c.max_bytes = a.canonical().size() + b.canonical().size() + 150;
  governed::ResponseCache<std::string> cache(c);
  REQUIRE(cache.insert(a, "a", 100, Instant{}));
  REQUIRE(cache.insert(b, "b", 100, Instant{}));  // 200 value bytes > 150: a goes
  CHECK_FALSE(cache.find(a, Instant{}));
  CHECK(cache.find(b, Instant{}));
  CHECK_FALSE(cache.insert(a, "huge", 1'000'000, Instant{}));
  CHECK(cache.stats().bytes == b.canonical().size() + 100);
}

TEST_CASE("inserting a key again replaces its value and restarts its TTL", "[cache]") {
  governed::ResponseCache<std::string> cache;
  const auto k = key("m", {});
  cache.insert(k, "old", 3, Instant{});
  cache.insert(k, "new", 3, Instant{} + 20s);
  auto hit = cache.find(k, Instant{} + 40s);
  REQUIRE(hit);
  CHECK(*hit == "new");
  CHECK(cache.stats().entries == 1);
  CHECK(cache.stats().replacements == 1);
}

TEST_CASE("purging drops every expired entry", "[cache]") {
  governed::ResponseCache<int> cache;
  for (int i = 0; i < 10; ++i) cache.insert(key("m", {{"i", i}}), i, 4, Instant{} + std::chrono::seconds{i});
  CHECK(cache.purge_expired(Instant{} + 35s) == 6);  // inserted at 0..5 s
  CHECK(cache.stats().entries == 4);
  CHECK(cache.stats().expirations == 6);
}

TEST_CASE("a disabled cache stores nothing; a request that is not UTF-8 has no key", "[cache]") {
  CacheConfig c;
  c.ttl = 0s;
  governed::ResponseCache<std::string> off(c);
  CHECK_FALSE(off.insert(key("m", {}), "x", 1, Instant{}));
  auto bad = CacheKey::of("openai", "m", json::array({{{"role", "user"}, {"content", "\xff\xfe"}}}));
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == Errc::invalid_argument);
}

TEST_CASE("the cache counts correctly under concurrent use", "[cache][concurrency]") {
  CacheConfig c;
  c.max_entries = 64;
  governed::ResponseCache<std::string> cache(c);
  std::vector<CacheKey> keys;
  for (int i = 0; i < 100; ++i) keys.push_back(key("m", {{"i", i}}));
  std::atomic<std::uint64_t> found{0}, wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        const std::size_t k = static_cast<std::size_t>((i * 7 + t * 13) % 100);
        if (auto hit = cache.find(keys[k], Instant{})) {
          found.fetch_add(1);
          if (*hit != std::to_string(k)) wrong.fetch_add(1);
        } else {
          cache.insert(keys[k], std::to_string(k), 3, Instant{});
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  const auto s = cache.stats();
  CHECK(wrong.load() == 0);
  CHECK(s.hits == found.load());
  CHECK(s.hits + s.misses == 8 * 2000);
  CHECK(s.entries <= 64);
  CHECK(s.insertions - s.replacements - s.evictions == s.entries);
}

TEST_CASE("cache_key_of: a request's messages and the figures that change its answer", "[cache]") {
  governed::Request a;
  a.provider = "openai";
  a.model = "gpt-4o";
  a.messages = {{"user", "Say hello."}};
  governed::Request b = a;
  auto ka = governed::cache_key_of("openai", "gpt-4o", a);
  auto kb = governed::cache_key_of("openai", "gpt-4o", b);
  REQUIRE(ka);
  REQUIRE(kb);
  CHECK(*ka == *kb);
  CHECK(ka->canonical().find("\"max_tokens\":1024") != std::string::npos);
  b.temperature = 0.5;
  CHECK_FALSE(*governed::cache_key_of("openai", "gpt-4o", b) == *ka);
  b = a;
  b.n = 2;
  CHECK_FALSE(*governed::cache_key_of("openai", "gpt-4o", b) == *ka);
  b = a;
  b.messages[0].content = "Say goodbye.";
  CHECK_FALSE(*governed::cache_key_of("openai", "gpt-4o", b) == *ka);
  CHECK_FALSE(*governed::cache_key_of("openai", "gpt-4o-mini", a) == *ka);
}

TEST_CASE("cache_key_of: 1 and 1.0, or 0 and -0.0, are one key, in the temperature and in the parameters",
          "[cache]") {
  governed::Request a;
  a.messages = {{"user", "Say hello."}};
  a.temperature = 1.0;
  a.parameters = json{{"seed", 7}, {"top_p", 1}};
  governed::Request b = a;
  b.temperature = 1;
  b.parameters = json::parse(R"({"top_p": 1.0, "seed": 7.0})");
  CHECK(*governed::cache_key_of("openai", "gpt-4o", a) == *governed::cache_key_of("openai", "gpt-4o", b));
  a.temperature = 0.0;
  b.temperature = -0.0;
  CHECK(*governed::cache_key_of("openai", "gpt-4o", a) == *governed::cache_key_of("openai", "gpt-4o", b));
  b.temperature = 0.25;
  CHECK_FALSE(*governed::cache_key_of("openai", "gpt-4o", a) == *governed::cache_key_of("openai", "gpt-4o", b));
  b = a;
  b.parameters = json{{"seed", 8}, {"top_p", 1}};
  CHECK_FALSE(*governed::cache_key_of("openai", "gpt-4o", a) == *governed::cache_key_of("openai", "gpt-4o", b));
}

TEST_CASE("cache_key_of: messages split or joined otherwise, or holding newlines and digits, are other keys",
          "[cache]") {
  const auto key_of = [](std::vector<governed::Message> messages) {
    governed::Request r;
    r.messages = std::move(messages);
    return governed::cache_key_of("openai", "gpt-4o", r).value();
  };
  const auto joined = key_of({{"user", "ab"}});
  CHECK_FALSE(joined == key_of({{"user", "a"}, {"user", "b"}}));
  CHECK_FALSE(key_of({{"user", "a\n"}, {"user", "b"}}) == key_of({{"user", "a"}, {"user", "\nb"}}));
  // Text that looks like the key's own length prefixes stays text.
  CHECK_FALSE(key_of({{"user", "a4:user1:b"}}) == key_of({{"user", "a"}, {"user", "b"}}));
  CHECK_FALSE(key_of({{"user", "a"}}) == key_of({{"system", "a"}}));
  CHECK(key_of({{"user", "line one\nline two"}}) == key_of({{"user", "line one\nline two"}}));
}

TEST_CASE("cache_key_of: a max_tokens in the parameters, which the provider sees, is part of the key", "[cache]") {
  governed::Request a;
  a.messages = {{"user", "Say hello."}};
  a.parameters = json{{"max_tokens", 5}};
  governed::Request b = a;
  b.parameters = json{{"max_tokens", 6}};
  CHECK_FALSE(*governed::cache_key_of("openai", "gpt-4o", a) == *governed::cache_key_of("openai", "gpt-4o", b));
}

TEST_CASE("cache_key_of: a request whose messages or parameters are not UTF-8 has no key", "[cache]") {
  governed::Request r;
  r.messages = {{"user", "caf\xc3\xa9"}};
  REQUIRE(governed::cache_key_of("openai", "gpt-4o", r));
  r.messages = {{"user", "caf\xc3"}};
  auto bad_message = governed::cache_key_of("openai", "gpt-4o", r);
  REQUIRE_FALSE(bad_message);
  CHECK(bad_message.error().code == Errc::invalid_argument);
  r.messages = {{"user", "Say hello."}};
  r.parameters = json{{"stop", "\xff"}};
  auto bad_parameter = governed::cache_key_of("openai", "gpt-4o", r);
  REQUIRE_FALSE(bad_parameter);
  CHECK(bad_parameter.error().code == Errc::invalid_argument);
  // Nor does one whose invalid bytes are already U+FFFD look like it.
  r.parameters = json{{"stop", "\xef\xbf\xbd"}};
  CHECK(governed::cache_key_of("openai", "gpt-4o", r));
}

TEST_CASE("cache_key_of: two requests that differ only in a tool, an image byte, the output format or the stop "
          "list are two entries",
          "[cache]") {
  using governed::ContentPart;
  governed::Request a;
  a.messages = {{.role = "user",
                 .parts = {ContentPart::of_text("What is in it?"),
                           ContentPart::image_bytes(std::string("\x89PNG\xff\x00\x01", 7), "image/png")}}};
  a.tools = {{"get_weather", "The weather in a city.", json{{"type", "object"}}}};
  a.stop = {"\n\n"};
  const auto key = [](const governed::Request& r) { return governed::cache_key_of("openai", "gpt-4o", r).value(); };
  // Image bytes are bytes, not text: they key the request whatever they hold.
  const CacheKey base = key(a);
  CHECK(key(a) == base);

  governed::Request b = a;
  b.messages[0].parts[1].data[6] = '\x02';
  CHECK_FALSE(key(b) == base);
  b = a;
  b.tools[0].parameters = json{{"type", "object"}, {"required", json::array()}};
  CHECK_FALSE(key(b) == base);
  b = a;
  b.tools[0].description = "The weather.";
  CHECK_FALSE(key(b) == base);
  b = a;
  b.tool_choice = governed::ToolChoice::tool("get_weather");
  CHECK_FALSE(key(b) == base);
  b = a;
  b.parallel_tool_calls = false;
  CHECK_FALSE(key(b) == base);
  b.parallel_tool_calls = true;
  CHECK_FALSE(key(b) == base);
  b = a;
  b.output = governed::OutputFormat::json();
  CHECK_FALSE(key(b) == base);
  b = a;
  b.stop = {"\n"};
  CHECK_FALSE(key(b) == base);
  b = a;
  b.stop = {"\n", "\n"};
  CHECK_FALSE(key(b) == base);
  b = a;
  b.seed = 7;
  CHECK_FALSE(key(b) == base);
  b = a;
  b.reasoning = governed::Reasoning{.effort = governed::Reasoning::Effort::low};
  CHECK_FALSE(key(b) == base);
  b = a;
  b.top_p = 0.0;
  governed::Request c = a;
  c.top_p = -0.0;
  CHECK(key(b) == key(c));
  CHECK_FALSE(key(b) == base);
}

TEST_CASE("cache_key_of: a history's tool calls, results and reasoning key it; a cache mark, the user and the "
          "metadata do not",
          "[cache]") {
  governed::Request a;
  a.messages = {{"user", "Weather in Oslo?"},
                {.role = "assistant",
                 .tool_calls = {{"call_1", "get_weather", R"({"city":"Oslo"})"}},
                 .reasoning = {{.text = "look it up", .signature = "c2ln"}},
                 .origin = "anthropic"},
                {.role = "tool", .content = "21", .tool_call_id = "call_1"}};
  const auto key = [](const governed::Request& r) { return governed::cache_key_of("openai", "gpt-4o", r).value(); };
  const CacheKey base = key(a);
  governed::Request b = a;
  b.messages[1].tool_calls[0].arguments = R"({"city":"Bergen"})";
  CHECK_FALSE(key(b) == base);
  b = a;
  b.messages[2].tool_call_id = "call_2";
  CHECK_FALSE(key(b) == base);
  b = a;
  b.messages[2].is_error = true;
  CHECK_FALSE(key(b) == base);
  b = a;
  b.messages[1].origin = "openai";  // the reasoning would now be sent to OpenAI's candidates
  CHECK_FALSE(key(b) == base);
  b = a;
  b.messages[1].reasoning[0].signature = "b3RoZXI=";
  CHECK_FALSE(key(b) == base);
  // A tool result split from the call's text differently is another conversation.
  b = a;
  b.messages[2].content = "";
  b.messages[2].parts = {governed::ContentPart::of_text("21")};
  CHECK_FALSE(key(b) == base);

  b = a;
  b.messages[0].cache = governed::CacheMark{};
  b.user = "user-42";
  b.metadata = {{"team", "search"}};
  CHECK(key(b) == base);
}

TEST_CASE("cache_key_of: a tool call's arguments that are not UTF-8 refuse the key, as message text does", "[cache]") {
  governed::Request r;
  r.messages = {{.role = "assistant", .tool_calls = {{"call_1", "f", "{\"x\":\"\xff\"}"}}}};
  auto key = governed::cache_key_of("openai", "gpt-4o", r);
  REQUIRE_FALSE(key);
  CHECK(key.error().code == Errc::invalid_argument);
}
