#pragma once
/// @file
/// A whole reply's body read in a dialect, into what the walk decides from: a success's text
/// and usage (`Reply::completion`), an error's fields (`Reply::error`), and the provider's id
/// for the request from its headers (`Reply::request_id`). Transports that read
/// their replies (`transport::http`, `transport::simulated`) call `read_reply` once the body is
/// whole; for a transport that hands back bytes only, `Governed` calls it through
/// `ReplyReader` (declared in transport/concept.hpp), defined here. governed.hpp includes this
/// header; under core.hpp alone such a transport needs it included.

#include <governed/attempt.hpp>
#include <governed/dialect/error.hpp>
#include <governed/dialect/reply.hpp>
#include <governed/providers/classify.hpp>
#include <governed/providers/dialect.hpp>
#include <governed/providers/request_id.hpp>
#include <governed/transport/concept.hpp>

#include <utility>

namespace governed::detail {

/// The provider's request id from `r.headers`, unless the transport found it already (as
/// `transport::http` does in the walk that lower-cases the headers). Out of line: `read_reply`
/// is inlined into every send(), and this walk inlined there made the compiler stop inlining
/// the call walk's own steps (callgrind, BM_Governed_Send_Success: a warm send()'s own
/// instructions 59 more than before the id was read; out of line, 2.5 more).
[[gnu::noinline]] inline void read_request_id(transport::Reply& r, providers::Dialect dialect) noexcept {
  if (r.request_id.empty()) r.request_id = providers::request_id_of(r.headers, dialect);
}

}  // namespace governed::detail

namespace governed::transport {

/// Reads `r.body` in `dialect`: a whole 2xx reply into `r.completion` (left empty when the body
/// is not a readable reply), an error status into `r.error`. A failed attempt keeps neither:
/// the classifier reads its failure, not its body; a stream's text is in `r.streamed`.
/// Inlined where it is called, and reads in place (a warm send() through a transport that hands
/// back bytes pays for the call, and for moving a returned `Completion` into `r.completion`,
/// otherwise).
[[gnu::always_inline]] inline void read_reply(Reply& r, providers::Dialect dialect) {
  // Whatever the reply was, its id is what the provider's support asks for: read before the
  // failure test.
  if (!r.headers.empty()) governed::detail::read_request_id(r, dialect);
  if (r.failure) return;
  if (r.status >= 200 && r.status < 300) {
    if (r.streamed) return;
    // Read in place: a parse error leaves `completion` empty, which is all the walk needs of it.
    (void)dialect::decode_completion(dialect, r.body, {}, r.completion);
  } else if (providers::reads_error_body(r.status)) {
    r.error = dialect::decode_error(dialect, r.body);
  }
}

/// The reader `Governed` calls for a transport `T` that hands back bytes only: the body read in
/// the attempt's dialect, as `transport::http` reads its own. A reply whose fields are already
/// filled (a transport that forwards another's replies without declaring `reads_replies`) is
/// taken as read.
template <class T>
struct ReplyReader {
  [[gnu::always_inline]] static void read(Reply& r, const Attempt& attempt) {
    if (!r.completion && !r.error) read_reply(r, attempt.dialect);
  }
};

}  // namespace governed::transport
