#pragma once
/// @file
/// `governed::Result<T>`: a value or a `governed::Error`, without exceptions on the call path.
///
/// ```cpp
/// governed::Result<Quota> q = Quota::make(60, std::chrono::minutes{1}, 1);
/// if (!q) std::puts(q.error().message.c_str());
/// ```

#include <governed/error.hpp>

#include <tl/expected.hpp>

namespace governed {

template <class T>
using Result = tl::expected<T, Error>;

/// Builds the error side of a `Result`: `return fail(Errc::invalid_argument, "...");`
inline tl::unexpected<Error> fail(Errc code, std::string message,
                                  std::optional<Duration> retry_after = std::nullopt) {
  return tl::unexpected<Error>(Error{code, std::move(message), retry_after});
}

}  // namespace governed
