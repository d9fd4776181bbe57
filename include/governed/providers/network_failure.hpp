#pragma once
/// @file
/// `NetworkFailure`: how far an attempt got when no reply came back. A transport reports it;
/// the classifier reads it (`classify_network_failure`).

#include <cstdint>

namespace governed::providers {

/// How a transport failed when there was no reply at all.
enum class NetworkFailure : std::uint8_t {
  dns,              ///< the name did not resolve: nothing was sent
  connect_refused,  ///< refused: nothing was sent
  connect_timeout,  ///< no connection in time: nothing was sent
  tls_handshake,    ///< the handshake failed: nothing was sent
  connection_reset, ///< reset after the request went out: it may have been processed
  read_timeout,     ///< no reply in time after sending: it may have been processed
  closed_early,     ///< the peer closed before a full reply: it may have been processed
  not_encodable,    ///< the request could not be written in the provider's format: nothing was sent
};

}  // namespace governed::providers
