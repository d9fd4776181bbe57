#pragma once
/// @file
/// Policy families. Every policy type names its family as `using family = family::<name>;`,
/// so `Governed<Transport, Policies...>` can take policies in any order, default the missing
/// ones, and refuse two of one family with a message that names it.

namespace governed::family {

struct limiter {};
struct backoff {};
struct keys {};
struct fallback {};
struct clock {};

}  // namespace governed::family
