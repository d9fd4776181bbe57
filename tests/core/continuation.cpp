#include <governed/continuation.hpp>

#include <catch2/catch.hpp>

#include <governed/asio_continuation.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <memory>
#include <thread>

using governed::continuation_on;

TEST_CASE("a continuation posted with an answer runs on its executor later, never inside the call", "[continuation]") {
  boost::asio::io_context io;
  int seen = 0;
  auto done = continuation_on<int>(io.get_executor(), [&](int v) { seen = v; });
  std::move(done).post(7);
  CHECK(seen == 0);
  io.run();
  CHECK(seen == 7);
}

TEST_CASE("a continuation called on its own executor runs at once, and from elsewhere runs there",
          "[continuation][concurrency]") {
  boost::asio::io_context io;
  int seen = 0;
  bool ran_inside = false;
  boost::asio::post(io, [&] {
    continuation_on<int>(io.get_executor(), [&](int v) { seen = v; })(1);
    ran_inside = seen == 1;
  });
  io.run();
  CHECK(ran_inside);

  // Called from a thread that is not running the io_context: it waits for the context.
  io.restart();
  std::thread::id ran_on{};
  std::thread other([&] {
    continuation_on<int>(io.get_executor(), [&](int v) {
      seen = v;
      ran_on = std::this_thread::get_id();
    })(2);
  });
  other.join();
  CHECK(seen == 1);
  io.run();
  CHECK(seen == 2);
  CHECK(ran_on == std::this_thread::get_id());
}

TEST_CASE("a continuation keeps a move-only continuation and lets it go once run", "[continuation]") {
  boost::asio::io_context io;
  auto held = std::make_shared<int>(3);
  std::weak_ptr<int> watch = held;
  int seen = 0;
  auto owner = std::make_unique<std::shared_ptr<int>>(std::move(held));
  auto done = continuation_on<int>(io.get_executor(), [&seen, p = std::move(owner)](int v) { seen = **p + v; });
  std::move(done).post(4);
  io.run();
  CHECK(seen == 7);
  CHECK(watch.expired());
}

TEST_CASE("a store on Asio finds the caller's executor in a continuation, and only an Asio one", "[continuation]") {
  boost::asio::io_context io;
  auto done = continuation_on<int>(io.get_executor(), [](int) {});
  const auto* executor = done.executor().get<boost::asio::any_io_executor>();
  REQUIRE(executor != nullptr);
  CHECK(*executor == boost::asio::any_io_executor(io.get_executor()));
  CHECK(done.executor().get<int>() == nullptr);
}
