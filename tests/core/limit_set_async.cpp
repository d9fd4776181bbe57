#include <governed/limit_set.hpp>

#include <catch2/catch.hpp>

#include <governed/asio_continuation.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <memory>
#include <optional>
#include <thread>

using governed::Admission;
using governed::Instant;
using governed::LimitSetConfig;
using governed::Result;
using governed::SharedDecision;
using governed::WallTime;

namespace {

/// A shared store that admits everything; `answer_from_thread`: its asynchronous answers come
/// from a thread of its own, as a store's network client's would.
struct AdmittingStore final : governed::SharedLimits {
  explicit AdmittingStore(bool from_thread) : answer_from_thread(from_thread) {}
  Result<SharedDecision> admit(const std::array<std::uint64_t, 6>&, Instant, WallTime) override {
    ++asked;
    SharedDecision d;
    d.admitted = true;
    d.available.fill(UINT64_MAX);
    return d;
  }
  void async_admit(const std::array<std::uint64_t, 6>& cells, Instant now, WallTime wall,
                   DecisionHandler done) override {
    if (!answer_from_thread) return SharedLimits::async_admit(cells, now, wall, std::move(done));
    auto d = admit(cells, now, wall);
    worker = std::thread([d = std::move(d), done = std::move(done)]() mutable { std::move(done)(std::move(d)); });
  }
  void reconcile(const SharedDecision&, const std::array<std::uint64_t, 6>&, const std::array<std::uint64_t, 6>&,
                 Instant) override {}
  void sync(std::size_t, std::uint64_t, governed::Duration, Instant) override {}
  void exhaust(WallTime, WallTime) override {}
  void cool(WallTime, WallTime) override {}

  bool answer_from_thread;
  std::atomic<int> asked{0};
  std::thread worker;
};

auto async_set(const LimitSetConfig& c) {
  auto s = governed::make_limit_set(c);
  REQUIRE(s);
  return std::move(*s);
}

/// Shares `set`'s rate dimensions with `store`, which stays readable through the result.
AdmittingStore& share_with_store(governed::LimitSet<>& set, const LimitSetConfig& c, bool from_thread) {
  auto store = std::make_unique<AdmittingStore>(from_thread);
  AdmittingStore& kept = *store;
  auto plan = governed::LimitSet<>::plan(c);
  REQUIRE(plan);
  set.share(std::move(store), governed::SharedFailure::fail_open, *plan);
  return kept;
}

}  // namespace

TEST_CASE("an asynchronous admission on a set of this process is answered on the caller's executor, never inside "
          "the call",
          "[limit_set]") {
  LimitSetConfig c;
  c.requests_per_minute = 60;
  auto set = async_set(c);
  boost::asio::io_context io;
  std::optional<Result<Admission>> got;
  auto keep = [&](Result<Admission> a) { got = std::move(a); };
  set->async_admit({}, Instant{}, WallTime{}, governed::continuation_on<Result<Admission>>(io.get_executor(), keep));
  CHECK_FALSE(got);
  io.run();
  REQUIRE(got);
  REQUIRE(*got);
  CHECK((*got)->admitted);
}

TEST_CASE("an asynchronous admission on a shared set is the store's decision, posted to the caller's executor",
          "[limit_set]") {
  LimitSetConfig c;
  c.requests_per_minute = 60;
  auto set = async_set(c);
  auto& store = share_with_store(*set, c, false);
  boost::asio::io_context io;
  std::optional<Result<Admission>> got;
  auto keep = [&](Result<Admission> a) { got = std::move(a); };
  set->async_admit({}, Instant{}, WallTime{}, governed::continuation_on<Result<Admission>>(io.get_executor(), keep));
  CHECK_FALSE(got);
  io.run();
  REQUIRE(got);
  REQUIRE(*got);
  CHECK((*got)->admitted);
  CHECK((*got)->shared);
  CHECK(store.asked == 1);
}

TEST_CASE("a shared store answering from its own thread hands the admission to the caller's executor",
          "[limit_set][concurrency]") {
  LimitSetConfig c;
  c.requests_per_minute = 60;
  auto set = async_set(c);
  auto& store = share_with_store(*set, c, true);
  boost::asio::io_context io;
  auto work = boost::asio::make_work_guard(io);
  std::optional<Result<Admission>> got;
  std::thread::id ran_on{};
  set->async_admit({}, Instant{}, WallTime{},
                   governed::continuation_on<Result<Admission>>(io.get_executor(), [&](Result<Admission> a) {
                     got = std::move(a);
                     ran_on = std::this_thread::get_id();
                     work.reset();
                   }));
  io.run();
  store.worker.join();
  REQUIRE(got);
  REQUIRE(*got);
  CHECK((*got)->admitted);
  CHECK(ran_on == std::this_thread::get_id());
}
