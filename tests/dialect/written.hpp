#pragma once
// Checks for the writing halves of the homes: what `encode_error` writes reads back through
// `decode_error` as the fields the classifier decides from, and so to the same verdict.

#include <governed/dialect/error.hpp>
#include <governed/providers/classify.hpp>
#include <governed/providers/table.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <string_view>

namespace governed_test {

/// The classifier's verdict on an error of `status` from the built-in `provider`, from `body`.
inline governed::providers::Verdict verdict_on(std::string_view provider, int status,
                                               const governed::providers::ErrorBody& body) {
  namespace gp = governed::providers;
  const gp::Provider* p = gp::builtin_table().provider(provider);
  REQUIRE(p);
  const governed::WallTime noon{std::chrono::seconds{1767268800}};
  return gp::classify(p, p->dialect, status, {}, body, noon);
}

/// `said`, written by the home of `provider`'s dialect with `written` and read back, keeps the
/// fields the classifier decides from, and the classifier's verdict on it is the one on `said`.
template <class Write>
void check_error_round_trip(std::string_view provider, int status, governed::providers::ErrorBody said, Write&& written) {
  namespace gp = governed::providers;
  said.json = true;  // what a provider sends is JSON
  const gp::Dialect dialect = gp::builtin_table().provider(provider)->dialect;
  const std::string body = written(said);
  const gp::ErrorBody read = governed::dialect::decode_error(dialect, body);
  CAPTURE(provider, status, body);
  CHECK(read.json);
  CHECK(read.message == said.message);
  CHECK(read.code == said.code);
  CHECK(read.type == said.type);
  CHECK(read.status == said.status);
  CHECK(read.reasons == said.reasons);
  CHECK(read.quota_ids == said.quota_ids);
  CHECK(read.retry_delay == said.retry_delay);
  const gp::Verdict before = verdict_on(provider, status, said), after = verdict_on(provider, status, read);
  CHECK(gp::to_string(after.kind) == gp::to_string(before.kind));
  CHECK(after.retryable == before.retryable);
  CHECK(after.rotate_key == before.rotate_key);
  CHECK(after.wait == before.wait);
}

}  // namespace governed_test
