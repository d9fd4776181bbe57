#include <governed/keys/detail/health_writer.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

using governed::WallTime;
using governed::keys::detail::HealthWriter;
using namespace std::chrono_literals;

namespace {

// What the writer thread was asked to write, and a gate that holds a write in progress.
struct WriteLog {
  std::mutex m;
  std::condition_variable cv;
  bool gate_open = true;
  bool succeed = true;
  std::vector<WallTime> nows;
  std::vector<std::vector<std::string>> forgets;

  HealthWriter::Write write() {
    return [this](WallTime now, std::span<const std::string> forget) {
      std::unique_lock lk(m);
      cv.wait(lk, [&] { return gate_open; });
      nows.push_back(now);
      forgets.emplace_back(forget.begin(), forget.end());
      return succeed;
    };
  }
  void hold() {
    std::lock_guard lk(m);
    gate_open = false;
  }
  void open() {
    {
      std::lock_guard lk(m);
      gate_open = true;
    }
    cv.notify_all();
  }
};

constexpr WallTime writer_t0{std::chrono::seconds{1735689600}};

}  // namespace

TEST_CASE("health writer: a burst of marks coalesces into a write of the latest state", "[keys][health_writer][concurrency]") {
  WriteLog log;
  HealthWriter writer(log.write());
  log.hold();
  writer.request(writer_t0);  // the thread starts and waits at the gate inside this write
  for (int i = 1; i <= 1000; ++i) writer.request(writer_t0 + std::chrono::seconds{i});
  CHECK_FALSE(writer.flush(20ms));  // held: not everything is tried yet
  log.open();
  REQUIRE(writer.flush(5s));
  std::lock_guard lk(log.m);
  CHECK(log.nows.size() <= 2);  // the held write, then one for everything that came meanwhile
  CHECK(log.nows.back() == writer_t0 + 1000s);
}

TEST_CASE("health writer: the keys to forget survive a failed write and go with the next", "[keys][health_writer][concurrency]") {
  WriteLog log;
  log.succeed = false;
  HealthWriter writer(log.write());
  writer.request(writer_t0, "sk-…aaaaaaaaaaaa");
  REQUIRE(writer.flush(5s));
  {
    std::lock_guard lk(log.m);
    log.succeed = true;
  }
  writer.request(writer_t0 + 1s, "sk-…bbbbbbbbbbbb");
  REQUIRE(writer.flush(5s));
  std::lock_guard lk(log.m);
  REQUIRE(log.forgets.size() == 2);
  CHECK(log.forgets[0] == std::vector<std::string>{"sk-…aaaaaaaaaaaa"});
  CHECK(log.forgets[1] == std::vector<std::string>{"sk-…aaaaaaaaaaaa", "sk-…bbbbbbbbbbbb"});
}

TEST_CASE("health writer: stopping finishes the write asked for, then ignores requests", "[keys][health_writer][concurrency]") {
  WriteLog log;
  HealthWriter writer(log.write());
  CHECK(writer.flush(0ms));  // nothing asked: nothing to wait for, and no thread started
  log.hold();
  writer.request(writer_t0);
  writer.request(writer_t0 + 1s);
  std::thread stopper([&] { writer.stop(); });  // waits for the held write, which waits for the gate
  log.open();
  stopper.join();
  writer.request(writer_t0 + 2s);
  std::lock_guard lk(log.m);
  CHECK(log.nows.back() == writer_t0 + 1s);  // the pending write went out before the thread ended
}

TEST_CASE("health writer: a thread that can not be started gives the write up, and the next request starts it",
          "[keys][health_writer][concurrency]") {
  WriteLog log;
  int starts = 0;
  HealthWriter writer(log.write(), [&](std::function<void()> run) {
    // The first start fails as it does in a process at its thread limit.
    if (++starts == 1) throw std::system_error(std::make_error_code(std::errc::resource_unavailable_try_again));
    return std::thread(std::move(run));
  });
  CHECK_FALSE(writer.request(writer_t0, "sk-…aaaaaaaaaaaa"));
  CHECK(writer.flush(0ms));  // given up, not pending: nobody waits for it
  CHECK(writer.request(writer_t0 + 1s));
  REQUIRE(writer.flush(5s));
  std::lock_guard lk(log.m);
  REQUIRE(log.nows.size() == 1);
  CHECK(log.nows[0] == writer_t0 + 1s);
  CHECK(log.forgets[0] == std::vector<std::string>{"sk-…aaaaaaaaaaaa"});  // kept for the write that ran
}
