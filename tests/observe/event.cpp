#include <governed/observe/event.hpp>

#include <catch2/catch.hpp>

#include <governed/providers/messages.hpp>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

using governed::Event;
using governed::EventKind;
using governed::Observers;

TEST_CASE("every event kind has its own name", "[event]") {
  std::set<std::string_view> names;
  for (std::size_t k = 0; k < governed::event_kinds; ++k) names.insert(to_string(EventKind(k)));
  CHECK(names.size() == governed::event_kinds);
  CHECK(names.count("switched_provider") == 1);
  CHECK(names.count("unknown") == 0);
}

TEST_CASE("an event carries the friendly message, and never a secret", "[event]") {
  const std::vector<std::string> keys{"3f9a1c7e5b2d4a6c8e0f1a2b3c4d5e6f"};  // an Azure-style key
  const auto e = Event::make(
      EventKind::cooled, "openai", "gpt-4o", "scraper",
      "Rate limit reached for gpt-4o in organization org-AbCdEf123456 on tokens per min. Key "
      "sk-proj-abcdefghijklmnopqrstuvwx used; azure key 3f9a1c7e5b2d4a6c8e0f1a2b3c4d5e6f.",
      {}, keys);
  CHECK(e.kind == EventKind::cooled);
  CHECK(e.provider == "openai");
  CHECK(e.task == "scraper");
  CHECK_THAT(e.message, !Catch::Contains("AbCdEf123456"));
  CHECK_THAT(e.message, !Catch::Contains("abcdefghijklmnopqrstuvwx"));
  CHECK_THAT(e.message, !Catch::Contains("3f9a1c7e5b2d4a6c8e0f1a2b3c4d5e6f"));
  CHECK_THAT(e.message, Catch::Contains("org-***"));

  // The messages of providers/messages.hpp pass through unchanged.
  const auto s = Event::make(EventKind::switched_model, "groq", "llama-3.1-70b-versatile", "",
                             governed::providers::switching_message("groq", "llama-3.1-70b-versatile"));
  CHECK(s.message == "Switching to GROQ llama-3.1-70b-versatile\u2026");

  // A secret in a label field is redacted too.
  const auto odd = Event::make(EventKind::failed, "openai", "gpt-4o", "sk-ant-api03-abcdefghijklmnop", "x");
  CHECK(odd.task == "sk-***");
}

TEST_CASE("every event kind has a friendly message of its own", "[event]") {
  using namespace std::chrono_literals;
  std::set<std::string> messages;
  for (std::size_t k = 0; k < governed::event_kinds; ++k) {
    const auto kind = EventKind(k);
    const auto e = Event::of(kind, "openai", "gpt-4o", "scraper", 90s);
    CAPTURE(to_string(kind), e.message);
    CHECK(e.kind == kind);
    CHECK(e.wait == governed::Duration{90s});
    CHECK_FALSE(e.message.empty());
    CHECK_THAT(e.message, !Catch::Contains("_"));  // a sentence, not an enum name
    messages.insert(e.message);
  }
  // switched_model and switched_provider say the same thing: where the call goes next.
  CHECK(messages.size() == governed::event_kinds - 1);

  CHECK(Event::of(EventKind::switched_model, "groq", "llama-3.1-70b-versatile").message ==
        "Switching to GROQ llama-3.1-70b-versatile\u2026");
  CHECK(Event::of(EventKind::cooled, "groq", "llama-3.3-70b-versatile", "", 1366848ms).message ==
        "Rate limit reached for GROQ (llama-3.3-70b-versatile). The provider requests waiting 22 minutes. "
        "Automatically trying alternative model/provider\u2026");
  CHECK(Event::of(EventKind::failed, "", "", "", 1366848ms).message ==
        "All alternative providers are rate limited. Please try again in 22 minutes.");
  CHECK(Event::of(EventKind::retried, "openai", "gpt-4o", "", 4s).message ==
        "OPENAI (gpt-4o) asked to slow down. Retrying in 4 seconds\u2026");
  CHECK(Event::of(EventKind::key_exhausted, "groq", "", "", 3h + 5min).message ==
        "The quota of this GROQ key is used up; it resets in 3 hours. Switching to another key\u2026");

  // A secret that reaches a target name is redacted from the message as from the fields.
  const std::vector<std::string> keys{"3f9a1c7e5b2d4a6c8e0f1a2b3c4d5e6f"};
  for (std::size_t k = 0; k < governed::event_kinds; ++k) {
    const auto e = Event::of(EventKind(k), "azure", "3f9a1c7e5b2d4a6c8e0f1a2b3c4d5e6f", "", 5s, {}, keys);
    CHECK_THAT(e.message, !Catch::Contains("3f9a1c7e5b2d4a6c8e0f1a2b3c4d5e6f"));
    CHECK(e.model == "***");
  }
}

TEST_CASE("with no observer installed nothing is built", "[event]") {
  Observers obs;
  CHECK_FALSE(obs.active());
  int built = 0;
  obs.emit_lazy([&] {
    ++built;
    return Event::make(EventKind::admitted, "openai", "gpt-4o", "", "admitted");
  });
  CHECK(built == 0);

  std::vector<std::string> seen;
  obs.install([&](const Event& e) { seen.push_back(std::string(to_string(e.kind)) + ": " + e.message); });
  CHECK(obs.active());
  obs.emit_lazy([&] {
    ++built;
    return Event::make(EventKind::cache_hit, "openai", "gpt-4o", "", "answered from the cache");
  });
  CHECK(built == 1);
  REQUIRE(seen.size() == 1);
  CHECK(seen[0] == "cache_hit: answered from the cache");

  obs.install(nullptr);
  CHECK_FALSE(obs.active());
  obs.emit(Event::make(EventKind::failed, "openai", "gpt-4o", "", "gone"));
  CHECK(seen.size() == 1);
}

TEST_CASE("an observer may replace itself while it runs", "[event]") {
  Observers obs;
  int first = 0, second = 0;
  obs.install([&](const Event&) {
    ++first;
    obs.install([&](const Event&) { ++second; });
  });
  const auto e = Event::make(EventKind::admitted, "p", "m", "", "");
  obs.emit(e);
  obs.emit(e);
  CHECK(first == 1);
  CHECK(second == 1);
}

TEST_CASE("installing while other threads emit loses no event and tears none", "[event][concurrency]") {
  Observers obs;
  std::atomic<int> a{0}, b{0};
  obs.install([&](const Event&) { a.fetch_add(1); });
  std::atomic<bool> stop{false};
  std::vector<std::thread> emitters;
  for (int t = 0; t < 4; ++t) {
    emitters.emplace_back([&] {
      const auto e = Event::make(EventKind::admitted, "p", "m", "", "");
      for (int i = 0; i < 5000; ++i) obs.emit(e);
    });
  }
  std::thread installer([&] {
    for (int i = 0; i < 200 && !stop.load(); ++i) {
      if (i % 2) obs.install([&](const Event&) { a.fetch_add(1); });
      else obs.install([&](const Event&) { b.fetch_add(1); });
    }
  });
  for (auto& th : emitters) th.join();
  stop = true;
  installer.join();
  CHECK(a.load() + b.load() == 4 * 5000);
}
