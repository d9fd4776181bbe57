#pragma once
/// @file
/// `keys::fingerprint`: how governed names an API key in files, messages and metrics without
/// ever showing the key.
///
/// `fingerprint("sk-proj-…")` is `"sk-…"` followed by 12 hex digits of the key's SHA-1: the
/// public prefix (the shape `providers::redact` keeps, so a reader can tell an OpenAI key
/// from a Groq one) and 48 bits of a digest. Keys without a known prefix (Azure, Mistral) get
/// `"…"` and the digits.
///
/// Why SHA-1 and why 48 bits. The fingerprint only has to tell a user's keys apart and let
/// no one work back to the key. Recovering a key from 48 bits of any digest means searching
/// the key space itself — 2^190 for a 32-character alphanumeric key — so the digest's known
/// weakness, chosen-prefix collisions, buys an attacker nothing: the keys are drawn by the
/// provider, not by someone crafting collisions, and a collision would only merge two health
/// entries, never reveal a key. Two of a user's keys share 48 bits with probability about
/// n²/2^49 (5·10^-12 for 50 keys). Boost's header-only SHA-1 keeps governed a header-only
/// library with no link dependency on libcrypto.

#include <governed/providers/redact.hpp>

#include <boost/uuid/detail/sha1.hpp>
#include <fmt/format.h>

#include <string>
#include <string_view>

namespace governed::keys {

/// Hex digits of the digest a fingerprint keeps.
inline constexpr std::size_t fingerprint_digits = 12;

/// The separator between prefix and digits: not a character any key contains, so a
/// fingerprint can never be mistaken for (or equal) a key.
inline constexpr std::string_view fingerprint_mark = "…";

/// The fingerprint of `key`: the public prefix class, `…`, then 12 lowercase hex digits of
/// SHA-1(key). Deterministic across processes and hosts, so it keys the persisted health file.
inline std::string fingerprint(std::string_view key) {
  boost::uuids::detail::sha1 h;
  h.process_bytes(key.data(), key.size());
  boost::uuids::detail::sha1::digest_type d;
  h.get_digest(d);
  static_assert(sizeof(d) == 5 * sizeof(d[0]) && sizeof(d[0]) >= 4,
                "Boost 1.81's SHA-1 digest: five 32-bit words");
  // digest_type is five big-endian 32-bit words: 12 hex digits are word 0 and the high half
  // of word 1.
  const auto prefix = providers::detail::secret_prefix(key).value_or(std::string_view{});
  return fmt::format("{}{}{:08x}{:04x}", prefix, fingerprint_mark, d[0], d[1] >> 16);
}

}  // namespace governed::keys
