#pragma once
/// @file
/// `LimitKey`: which limit set a call counts against.

#include <string_view>

namespace governed {

/// Which limit set a call counts against. Providers limit accounts (an organisation or a
/// project), not keys: two keys of one account share one set.
struct LimitKey {
  std::string_view provider;
  std::string_view account;
  std::string_view group;  ///< model group: the models a provider limits together

  friend bool operator==(const LimitKey&, const LimitKey&) = default;
};

}  // namespace governed
