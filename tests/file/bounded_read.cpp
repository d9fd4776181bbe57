#include <governed/file/bounded_read.hpp>

#include "scratch.hpp"

#include <catch2/catch.hpp>

#include <string>

#include <sys/stat.h>

// A configuration path may name anything: what is not a regular file, or is larger than the
// limit, is refused with an error naming the path and why, and nothing blocks.

using governed::Errc;
using governed::detail::read_bounded_file;
using governed_test::FileScratch;

TEST_CASE("a file up to the limit is read whole; one byte more is refused naming the limit", "[file]") {
  const FileScratch dir;
  const auto exact = dir.write("exact.json", std::string(64, 'x'));
  auto whole = read_bounded_file(exact, 64);
  REQUIRE(whole);
  CHECK(*whole == std::string(64, 'x'));

  const auto over = dir.write("over.json", std::string(65, 'x'));
  auto refused = read_bounded_file(over, 64);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == Errc::io_error);
  CHECK(refused.error().message == "cannot read " + over.string() + ": larger than the limit of 64 bytes");

  const auto empty = dir.write("empty.json", "");
  CHECK(read_bounded_file(empty, 64).value().empty());
}

TEST_CASE("a device, a FIFO with no writer and a directory are refused at once as not regular files", "[file]") {
  const FileScratch dir;
  const auto fifo = dir.path / "fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  for (const auto& path : {std::filesystem::path("/dev/zero"), fifo, dir.path}) {
    INFO(path.string());
    auto r = read_bounded_file(path, 1024);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::io_error);
    CHECK(r.error().message == "cannot read " + path.string() + ": not a regular file");
  }
}

TEST_CASE("a missing file is an error naming the path and the reason", "[file]") {
  const FileScratch dir;
  const auto missing = dir.path / "missing.json";
  auto r = read_bounded_file(missing, 1024);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::io_error);
  CHECK(r.error().message == "cannot read " + missing.string() + ": No such file or directory");
}
