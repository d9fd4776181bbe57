// The admission script's answers as the limit set reads them, and what a server that answers
// something else gets: no decision, never a crash or an index past the set's dimensions. No
// redis-server: the replies are built here (tests/redis/gcra_vectors.cpp runs the script).
#include <governed/redis/limit_scripts.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <string>

using namespace std::chrono_literals;
using governed::SharedDecision;
using governed::redis::read_admit_reply;
using governed::redis::RespReply;

namespace {

/// An array reply of the integers `values`, as the script answers.
RespReply admit_reply_of(std::initializer_list<std::int64_t> values) {
  RespReply r;
  r.type = RespReply::Type::array;
  for (std::int64_t v : values) {
    RespReply e;
    e.type = RespReply::Type::integer;
    e.integer = v;
    r.elements.push_back(e);
  }
  return r;
}

/// The script ran on two keys: requests per minute (dimension 0) and tokens per minute (1).
constexpr std::array<std::size_t, 6> rpm_and_tpm{0, 1, 0, 0, 0, 0};

}  // namespace

TEST_CASE("an admission's reply gives each dimension its stamp, epoch and what remains", "[redis][limits][script]") {
  auto d = read_admit_reply(admit_reply_of({1, 5000, 71, 9, 3, 82, 9, 900}), rpm_and_tpm, 2);
  REQUIRE(d);
  CHECK(d->admitted);
  CHECK(d->stamps[0] == 71);
  CHECK(d->epochs[0] == 9);
  CHECK(d->available[0] == 3);
  CHECK(d->stamps[1] == 82);
  CHECK(d->available[1] == 900);
  CHECK(d->available[2] == UINT64_MAX);  // no such dimension: no limit
  // A negative count of what remains reads as none.
  CHECK(read_admit_reply(admit_reply_of({1, 5000, 71, 9, -4, 82, 9, 900}), rpm_and_tpm, 2)->available[0] == 0);
}

TEST_CASE("a refusal's reply names the dimension that waits longest, and how long", "[redis][limits][script]") {
  auto d = read_admit_reply(admit_reply_of({0, 5000, 2, 1500000, 4, 0}), rpm_and_tpm, 2);
  REQUIRE(d);
  CHECK_FALSE(d->admitted);
  CHECK(d->bound == 1);  // the second key: tokens per minute
  CHECK(d->retry_after == 1500ms);
  CHECK(d->available[0] == 4);
  CHECK(d->available[1] == 0);
}

TEST_CASE("a spent allowance's reply carries its end; a cooling target's its wait", "[redis][limits][script]") {
  auto spent = read_admit_reply(admit_reply_of({2, 5000, 1'700'000'000'000'000}), rpm_and_tpm, 2);
  REQUIRE(spent);
  CHECK_FALSE(spent->admitted);
  REQUIRE(spent->exhausted_until);
  CHECK(spent->exhausted_until->time_since_epoch() == std::chrono::seconds{1'700'000'000});

  auto cooling = read_admit_reply(admit_reply_of({3, 5000, 250000}), rpm_and_tpm, 2);
  REQUIRE(cooling);
  CHECK_FALSE(cooling->admitted);
  CHECK(cooling->bound == SharedDecision::target);
  CHECK(cooling->retry_after == 250ms);
}

TEST_CASE("a reply the admission script never gives is no decision", "[redis][limits][script]") {
  RespReply error;
  error.type = RespReply::Type::error;
  error.text = "ERR something went wrong";
  CHECK_FALSE(read_admit_reply(error, rpm_and_tpm, 2));
  CHECK_FALSE(read_admit_reply(RespReply{}, rpm_and_tpm, 2));  // nil
  RespReply text = admit_reply_of({1, 5000, 71, 9, 3, 82, 9, 900});
  text.elements[3].type = RespReply::Type::string;
  CHECK_FALSE(read_admit_reply(text, rpm_and_tpm, 2));
  for (const RespReply& r : {admit_reply_of({}), admit_reply_of({1}),
                             admit_reply_of({1, 5000, 71, 9, 3}),            // one dimension's answer for two
                             admit_reply_of({0, 5000, 3, 1000, 4, 0}),       // a third key of two
                             admit_reply_of({0, 5000, 0, 1000, 4, 0}),       // key 0 (they count from 1)
                             admit_reply_of({0, 5000, 1, -1, 4, 0}),         // a negative wait
                             admit_reply_of({2, 5000}),                      // spent, with no end
                             admit_reply_of({3, 5000, -1}),                  // cooling for a negative wait
                             admit_reply_of({7, 5000, 1, 1000, 4, 0})}) {   // no such answer
    INFO(r.elements.size() << " elements");
    CHECK_FALSE(read_admit_reply(r, rpm_and_tpm, 2));
  }
}

TEST_CASE("counts at the ends of the int64 range are clamped, never overflowed", "[redis][limits][script]") {
  constexpr std::int64_t huge = INT64_MAX;
  constexpr auto longest = std::chrono::microseconds{INT64_MAX / 1000};
  auto refused = read_admit_reply(admit_reply_of({0, 5000, 1, huge, 4, 0}), rpm_and_tpm, 2);
  REQUIRE(refused);
  CHECK(refused->retry_after == longest);
  auto cooling = read_admit_reply(admit_reply_of({3, 5000, huge}), rpm_and_tpm, 2);
  REQUIRE(cooling);
  CHECK(cooling->retry_after == longest);
  auto spent = read_admit_reply(admit_reply_of({2, 5000, INT64_MIN}), rpm_and_tpm, 2);
  REQUIRE(spent);
  CHECK(spent->exhausted_until->time_since_epoch() == -longest);
}
