#pragma once
/// @file
/// `redis::Script`: a Lua script and the SHA-1 by which a server that has it cached runs it
/// (`EVALSHA`), computed here so nothing has to ask the server for it.

#include <boost/uuid/detail/sha1.hpp>
#include <fmt/format.h>

#include <string>
#include <string_view>

namespace governed::redis {

/// A Lua script and its SHA-1, by which servers that have it cached run it.
struct Script {
  std::string source;
  std::string sha1;

  explicit Script(std::string src) : source(std::move(src)), sha1(digest(source)) {}

  static std::string digest(std::string_view text) {
    boost::uuids::detail::sha1 h;
    h.process_bytes(text.data(), text.size());
    boost::uuids::detail::sha1::digest_type d;
    h.get_digest(d);
    return fmt::format("{:08x}{:08x}{:08x}{:08x}{:08x}", d[0], d[1], d[2], d[3], d[4]);
  }
};

}  // namespace governed::redis
