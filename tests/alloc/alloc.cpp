// Hot paths do not allocate: admission on an existing limit set (and a store lookup) performs
// no heap allocation. The global operator new is replaced to count, so this is its own binary
// (with the Catch2 main every test executable shares).
#include <governed/governed.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>

// The replacement pairs new with malloc and delete with free; GCC cannot see that pairing.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace {
std::atomic<long> allocations{0};
}

void* operator new(std::size_t n) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc{};
}
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

using namespace std::chrono_literals;
using governed::Instant;

TEMPLATE_TEST_CASE("admission on an existing limit set allocates nothing", "[alloc]", governed::limiter::gcra,
                   governed::limiter::token_bucket, governed::limiter::sliding_window,
                   governed::limiter::sliding_window_approx, governed::limiter::fixed_window) {
  governed::LimitStore<TestType> store;
  governed::LimitSetConfig c;
  c.requests_per_minute = 500;
  c.tokens_per_minute = 300000;
  c.requests_per_day = 10000;
  c.tokens_per_day = 1000000;
  c.max_concurrency = 3;
  c.largest_request_tokens = 2000;
  const governed::LimitKey key{"openai", "org-1", "gpt-4o"};
  REQUIRE(store.find_or_create(key, c));
  governed::clock::manual clock;

  const long before = allocations.load();
  int admitted = 0;
  for (int i = 0; i < 10000; ++i) {
    auto* set = store.find(key);
    auto a = set->admit(governed::Cost{1, 500, 200}, clock.now());
    if (a && a->admitted) {
      ++admitted;
      set->reconcile(*a, governed::Cost{1, 400, 150}, clock.now());
    }
    clock.advance(10ms);
  }
  const long during = allocations.load() - before;
  CHECK(during == 0);
  CHECK(admitted > 100);
}

namespace {

// Answers every attempt with the same success body, as a real transport hands one over.
struct FixedReply {
  std::string body =
      R"({"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4o-mini","choices":[{"index":0,)"
      R"("message":{"role":"assistant","content":"Hello."},"finish_reason":"stop"}],)"
      R"("usage":{"prompt_tokens":12,"completion_tokens":2,"total_tokens":14}})";
  governed::transport::Reply send(const governed::transport::Attempt&) {
    governed::transport::Reply r;
    r.status = 200;
    r.body = body;
    return r;
  }
};

// Heap blocks a string holds (0 when it fits the small-string buffer).
long heap_blocks(const std::string& s) { return s.capacity() > std::string{}.capacity() ? 1 : 0; }

}  // namespace

TEST_CASE("a governed send on a warm state allocates only the reply, its reading and the response", "[alloc]") {
  governed::StateConfig c;
  c.keys.keys = {{"openai", "sk-alloc-test-key-0000000000000000", "org-alloc"}};
  c.keys.persist = false;
  c.providers["openai"] = governed::ProviderSettings{.rpm = std::uint64_t{1} << 40, .tpm = std::uint64_t{1} << 50};
  c.seed = 1;
  auto state = governed::State<>::create(std::move(c));
  REQUIRE(state);
  auto transport = std::make_shared<FixedReply>();
  governed::Governed<FixedReply> g(*state, transport);
  governed::Request req;
  req.provider = "openai";
  req.model = "gpt-4o-mini";
  req.messages = {{"user", "Say hello."}};
  req.max_tokens = 16;
  for (int i = 0; i < 3; ++i) REQUIRE(g.send(req));  // limit set, statistics series: made once

  // What a call costs with no governor at all: the transport's reply and reading it.
  long before = allocations.load();
  {
    const governed::transport::Attempt a{req, "openai", "gpt-4o-mini", "", "sk"};
    auto reply = transport->send(a);
    const long transport_blocks = allocations.load() - before;
    before = allocations.load();
    auto read = governed::dialect::decode_completion(governed::providers::Dialect::openai, reply.body);
    REQUIRE(read);
    const long reading_blocks = allocations.load() - before;

    before = allocations.load();
    auto r = g.send(req);
    const long send_blocks = allocations.load() - before;
    REQUIRE(r);
    const long response_blocks = heap_blocks(r->content) + heap_blocks(r->provider) + heap_blocks(r->model) +
                                 heap_blocks(r->key_fingerprint) + (r->events.capacity() > 0 ? 1 : 0);
    CAPTURE(transport_blocks, reading_blocks, response_blocks);
    CHECK(send_blocks == transport_blocks + reading_blocks + response_blocks);
  }
}
