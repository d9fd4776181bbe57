#pragma once
/// @file
/// Policy packs: policies in any order and any subset, one per family, each family defaulted.
///
/// Every policy names its family (`using family = governed::family::backoff;`). A pack finds
/// the one policy of each family among its arguments or takes the family's default, and
/// refuses at compile time — naming the family — a pack with two of one family or an argument
/// that is not a policy at all.

#include <governed/family.hpp>

#include <cstddef>
#include <tuple>
#include <type_traits>

namespace governed {

namespace detail {

template <class P, class = void>
struct has_family : std::false_type {};
template <class P>
struct has_family<P, std::void_t<typename P::family>> : std::true_type {};

template <class P, class Family>
constexpr bool in_family() {
  if constexpr (has_family<P>::value) return std::is_same_v<typename P::family, Family>;
  else return false;
}

template <class Family, class... Ps>
constexpr std::size_t count_in_family = (std::size_t{0} + ... + std::size_t{in_family<Ps, Family>()});

template <class P>
constexpr bool is_policy = in_family<P, family::limiter>() || in_family<P, family::backoff>() ||
                           in_family<P, family::keys>() || in_family<P, family::fallback>() ||
                           in_family<P, family::clock>();

template <class Family, class Default, class... Ps>
struct select_family {
  using type = Default;
};
template <class Family, class Default, class P, class... Ps>
struct select_family<Family, Default, P, Ps...> {
  using type = std::conditional_t<in_family<P, Family>(), P,
                                  typename select_family<Family, Default, Ps...>::type>;
};

// Ps with every policy whose family one of News has removed, then News: rebinding replaces
// a family's policy and keeps the others.
template <class Kept, class... News>
struct rebind_impl;
template <class... Kept, class... News>
struct rebind_impl<std::tuple<Kept...>, News...> {
  using type = std::tuple<Kept..., News...>;
};

template <class P, class... News>
constexpr bool replaced_by = (false || ... || (has_family<P>::value && in_family<News, typename P::family>()));

template <class Out, class In, class... News>
struct filter;
template <class... Out, class... News>
struct filter<std::tuple<Out...>, std::tuple<>, News...> {
  using type = std::tuple<Out...>;
};
template <class... Out, class P, class... Rest, class... News>
struct filter<std::tuple<Out...>, std::tuple<P, Rest...>, News...> {
  using type = typename filter<std::conditional_t<replaced_by<P, News...>, std::tuple<Out...>, std::tuple<Out..., P>>,
                               std::tuple<Rest...>, News...>::type;
};

}  // namespace detail

/// The defaults of each family, as a pack `Governed` fills in: `Defaults` is a struct with
/// member types `limiter`, `backoff`, `keys`, `fallback`, `clock`.
template <class Defaults, class... Ps>
struct PolicyPack {
  static_assert((detail::is_policy<Ps> && ...),
                "Governed: every policy argument must name its family (limiter, backoff, keys, "
                "fallback or clock) as `using family = governed::family::<name>;`");
  static_assert(detail::count_in_family<family::limiter, Ps...> <= 1,
                "Governed: more than one limiter policy (family limiter); pass at most one");
  static_assert(detail::count_in_family<family::backoff, Ps...> <= 1,
                "Governed: more than one backoff policy (family backoff); pass at most one");
  static_assert(detail::count_in_family<family::keys, Ps...> <= 1,
                "Governed: more than one keys policy (family keys); pass at most one");
  static_assert(detail::count_in_family<family::fallback, Ps...> <= 1,
                "Governed: more than one fallback policy (family fallback); pass at most one");
  static_assert(detail::count_in_family<family::clock, Ps...> <= 1,
                "Governed: more than one clock policy (family clock); pass at most one");

  using limiter = typename detail::select_family<family::limiter, typename Defaults::limiter, Ps...>::type;
  using backoff = typename detail::select_family<family::backoff, typename Defaults::backoff, Ps...>::type;
  using keys = typename detail::select_family<family::keys, typename Defaults::keys, Ps...>::type;
  using fallback = typename detail::select_family<family::fallback, typename Defaults::fallback, Ps...>::type;
  using clock = typename detail::select_family<family::clock, typename Defaults::clock, Ps...>::type;

  /// The pack with `News` replacing the policies of their families.
  template <class... News>
  using with = typename detail::rebind_impl<
      typename detail::filter<std::tuple<>, std::tuple<Ps...>, News...>::type, News...>::type;
};

/// `PolicyPack<Defaults, Ps...>` from a tuple of policies (what `with` yields).
template <class Defaults, class Tuple>
struct pack_from;
template <class Defaults, class... Ps>
struct pack_from<Defaults, std::tuple<Ps...>> {
  using type = PolicyPack<Defaults, Ps...>;
};

}  // namespace governed
