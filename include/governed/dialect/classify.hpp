#pragma once
/// @file
/// The classifier over a reply's bytes: status, headers and body in, `providers::Verdict` out.
///
/// The rules live in providers/classify.hpp and read a decoded `providers::ErrorBody`; this
/// header reads the body in the provider's dialect (dialect/error.hpp) and hands it to them.
/// It serves whoever holds bytes: governed-classify, the fuzz targets, the tests, and a
/// transport that hands back undecoded replies.

#include <governed/dialect/error.hpp>
#include <governed/providers/classify.hpp>
#include <governed/providers/error_body.hpp>
#include <governed/providers/headers.hpp>
#include <governed/providers/kind.hpp>
#include <governed/providers/table.hpp>
#include <governed/time.hpp>

#include <string_view>

namespace governed::dialect {

/// A reply as the classifier reads it: status, headers and body as views over the reply a
/// transport delivered, valid while that reply lives.
struct ReplyView {
  int status = 0;
  providers::HeaderView headers{};
  std::string_view body{};
};

/// Classifies one reply from `provider` (a table entry: its dialect, header windows and
/// daily-reset rule are used). `now` is the wall-clock time the reply arrived. The body is
/// read only when the rules read it: for an error status.
inline providers::Verdict classify(const providers::Provider* provider, providers::Dialect dialect,
                                   const ReplyView& reply, WallTime now) {
  if (!providers::reads_error_body(reply.status))
    return providers::classify(provider, dialect, reply.status, reply.headers, providers::no_error_body, now);
  return providers::classify(provider, dialect, reply.status, reply.headers, decode_error(dialect, reply.body), now);
}

/// Classifies a reply from the provider named `provider` in `table`.
inline providers::Verdict classify(const providers::Table& table, std::string_view provider, int status,
                                   const providers::HeaderView& headers, std::string_view body, WallTime now) {
  const providers::Provider* p = providers::find_provider(table, provider);
  return classify(p, p ? p->dialect : providers::Dialect::openai, ReplyView{status, headers, body}, now);
}

/// Classifies a reply with the built-in table.
inline providers::Verdict classify(std::string_view provider, int status, const providers::HeaderView& headers,
                                   std::string_view body, WallTime now) {
  return classify(providers::builtin_table(), provider, status, headers, body, now);
}

}  // namespace governed::dialect
