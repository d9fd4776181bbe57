#pragma once
/// @file
/// `keys::KeyHealth`: the state of one API key as the key pool and the selection policies see it.

namespace governed::keys {

/// healthy: usable. cooling: skipped until a short wait ends (a per-minute limit hit by this
/// key). exhausted: its account's daily, monthly or billing quota is spent; skipped until the
/// provider's reset. invalid: the provider refused the key itself (401); never used again.
enum class KeyHealth { healthy, cooling, exhausted, invalid };

}  // namespace governed::keys
