#include <governed/file/lock.hpp>

#include "scratch.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <optional>
#include <utility>

// The lock a writer of a shared file takes: exclusive between holders, given up after the
// caller's bound with a clear error, and never taken through a symbolic link. A bound of zero
// tries once, so no test here waits.

using governed::Errc;
using governed::detail::FileLock;
using governed_test::FileScratch;

TEST_CASE("a lock file someone else holds is given up at the bound with timed_out, naming the file", "[file]") {
  const FileScratch dir;
  const auto path = dir.path / "state.json.lock";
  auto held = FileLock::acquire(path, std::chrono::nanoseconds{0});
  REQUIRE(held);
  auto second = FileLock::acquire(path, std::chrono::nanoseconds{0});
  REQUIRE_FALSE(second);
  CHECK(second.error().code == Errc::timed_out);
  CHECK(second.error().message == path.string() + " stayed locked by another process for 0 ms");
}

TEST_CASE("a lock is free again once its holder is gone, and moving a holder keeps it held", "[file]") {
  const FileScratch dir;
  const auto path = dir.path / "state.json.lock";
  std::optional<FileLock> holder;
  {
    auto first = FileLock::acquire(path, std::chrono::nanoseconds{0});
    REQUIRE(first);
    holder.emplace(std::move(*first));
  }  // the moved-from lock is destroyed here and must not release it
  CHECK_FALSE(FileLock::acquire(path, std::chrono::nanoseconds{0}));
  holder.reset();
  CHECK(FileLock::acquire(path, std::chrono::nanoseconds{0}));
  // The lock file stays: removing it could let two holders lock two files of one name.
  CHECK(std::filesystem::exists(path));
}

TEST_CASE("a symbolic link or a directory as the lock file is refused, not followed", "[file]") {
  const FileScratch dir;
  const auto target = dir.write("elsewhere", "");
  const auto link = dir.path / "state.json.lock";
  std::filesystem::create_symlink(target, link);
  auto linked = FileLock::acquire(link, std::chrono::nanoseconds{0});
  REQUIRE_FALSE(linked);
  CHECK(linked.error().code == Errc::io_error);
  CHECK(linked.error().message == "lock file: " + link.string() + " is a symbolic link, which is not followed");

  auto directory = FileLock::acquire(dir.path, std::chrono::nanoseconds{0});
  REQUIRE_FALSE(directory);
  CHECK(directory.error().code == Errc::io_error);
}
