#pragma once
/// @file
/// RESP on the wire, by hiredis: `format_command` turns arguments into a request
/// (`redisFormatCommandArgv`), and `ReplyReader` turns the bytes a server sends into `Reply`
/// values (hiredis's reader). Everything else — sockets, TLS, timers — is Asio's.
///
/// hiredis builds its reply trees with its own allocator; a `Reply` is a plain value copied out
/// of one, so nothing of hiredis leaks past this header.

#include <governed/result.hpp>

#include <fmt/format.h>
#include <hiredis/hiredis.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace governed::redis {

/// One RESP value.
struct Reply {
  enum class Type : std::uint8_t { nil, integer, string, status, error, array };
  Type type = Type::nil;
  std::int64_t integer = 0;
  std::string text{};               ///< string, status or error
  std::vector<Reply> elements{};    ///< array

  bool is_error() const noexcept { return type == Type::error; }
  bool is_nil() const noexcept { return type == Type::nil; }
  /// The error's first word (`NOSCRIPT`, `MOVED`, `ASK`, `WRONGPASS`…), or "".
  std::string_view error_code() const noexcept {
    if (type != Type::error) return {};
    const std::string_view t = text;
    return t.substr(0, t.find(' '));
  }
};

/// A RESP request for `args` (a command and its arguments), appended to `out`.
inline void format_command(std::string& out, std::span<const std::string_view> args) {
  constexpr std::size_t inline_args = 16;
  const char* ptrs[inline_args];
  std::size_t lens[inline_args];
  std::vector<const char*> many_ptrs;
  std::vector<std::size_t> many_lens;
  const char** p = ptrs;
  std::size_t* l = lens;
  if (args.size() > inline_args) {
    many_ptrs.resize(args.size());
    many_lens.resize(args.size());
    p = many_ptrs.data();
    l = many_lens.data();
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    p[i] = args[i].data();
    l[i] = args[i].size();
  }
  char* cmd = nullptr;
  const int n = redisFormatCommandArgv(&cmd, static_cast<int>(args.size()), p, l);
  if (n < 0 || !cmd) throw std::bad_alloc();  // hiredis fails here only when malloc does
  out.append(cmd, static_cast<std::size_t>(n));
  redisFreeCommand(cmd);
}

inline void format_command(std::string& out, std::initializer_list<std::string_view> args) {
  format_command(out, std::span<const std::string_view>(args.begin(), args.size()));
}

/// Reads replies from the bytes of one connection, in order. A protocol error (bytes that are
/// not RESP) leaves the reader unusable: the connection must be closed.
class ReplyReader {
 public:
  ReplyReader() : reader_(redisReaderCreate()) {
    if (!reader_) throw std::bad_alloc();
    // Replies nest at most a few levels here; hiredis bounds the depth itself (7) and refuses
    // deeper input as a protocol error rather than overflowing.
  }

  /// The most bytes of one unfinished reply held while waiting for the rest: a server (or
  /// something posing as one) announcing a 2 GB string is refused, not buffered.
  static constexpr std::size_t max_pending = std::size_t{64} << 20;

  /// Adds bytes read from the server.
  Result<void> feed(std::string_view bytes) {
    if (redisReaderFeed(reader_.get(), bytes.data(), bytes.size()) != REDIS_OK) return tl::unexpected(protocol_error());
    if (reader_->len - reader_->pos > max_pending)
      return fail(Errc::parse_error, "the Redis server sent a reply larger than 64 MiB");
    return {};
  }

  /// The next complete reply, none when more bytes are needed, or the protocol error.
  Result<std::optional<Reply>> next() {
    void* raw = nullptr;
    if (redisReaderGetReply(reader_.get(), &raw) != REDIS_OK) return tl::unexpected(protocol_error());
    if (!raw) return std::optional<Reply>{};
    std::unique_ptr<redisReply, void (*)(void*)> owned(static_cast<redisReply*>(raw), freeReplyObject);
    return std::optional<Reply>{convert(*owned)};
  }

 private:
  Error protocol_error() const {
    return Error{Errc::parse_error,
                 fmt::format("the Redis server sent bytes that are not RESP ({})", std::string_view(reader_->errstr)),
                 {}};
  }

  static Reply convert(const redisReply& r) {
    Reply out;
    switch (r.type) {
      case REDIS_REPLY_STRING: out.type = Reply::Type::string; break;
      case REDIS_REPLY_STATUS: out.type = Reply::Type::status; break;
      case REDIS_REPLY_ERROR: out.type = Reply::Type::error; break;
      case REDIS_REPLY_INTEGER: out.type = Reply::Type::integer; out.integer = r.integer; return out;
      case REDIS_REPLY_ARRAY:
        out.type = Reply::Type::array;
        out.elements.reserve(r.elements);
        for (std::size_t i = 0; i < r.elements; ++i) out.elements.push_back(convert(*r.element[i]));
        return out;
      default: out.type = Reply::Type::nil; return out;
    }
    out.text.assign(r.str, r.len);
    return out;
  }

  struct Free {
    void operator()(redisReader* r) const noexcept { redisReaderFree(r); }
  };
  std::unique_ptr<redisReader, Free> reader_;
};

}  // namespace governed::redis
