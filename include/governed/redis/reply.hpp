#pragma once
/// @file
/// RESP on the wire, by hiredis: `format_command` turns arguments into a request
/// (`redisFormatCommandArgv`), and `ReplyReader` turns the bytes a server sends into `RespReply`
/// values (hiredis's reader). Everything else — sockets, TLS, timers — is Asio's.
///
/// hiredis's reader builds each reply through functions given to it, here straight into `RespReply`
/// values, so nothing of hiredis leaks past this header.

#include <governed/result.hpp>

#include <fmt/format.h>
#include <hiredis/hiredis.h>

#include <cstdint>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace governed::redis {

/// One RESP value.
struct RespReply {
  enum class Type : std::uint8_t { nil, integer, string, status, error, array };
  Type type = Type::nil;
  std::int64_t integer = 0;
  std::string text{};                 ///< string, status or error
  std::vector<RespReply> elements{};  ///< array

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

namespace detail {

/// The most elements one reply array may announce. hiredis would allocate the announced count
/// at once, so `*222222222` from a hostile server would be a 1.7 GB allocation; governed's
/// replies hold a handful.
inline constexpr int max_reply_elements = 1 << 20;

/// hiredis's reader builds replies through these: straight into `RespReply` values, each child in
/// its place in its parent's elements, so no tree of hiredis objects is built and copied.
struct ReplyBuilder {
  /// Where the value of `task` goes: its slot in the parent array, or a new root.
  static RespReply* place(const redisReadTask* task) noexcept {
    if (!task->parent) return new (std::nothrow) RespReply;
    auto* parent = static_cast<RespReply*>(task->parent->obj);
    if (!parent || task->idx < 0 || static_cast<std::size_t>(task->idx) >= parent->elements.size()) return nullptr;
    return &parent->elements[static_cast<std::size_t>(task->idx)];
  }

  /// Null (which hiredis reports as out of memory) after freeing a root that could not be filled.
  static void* failed(const redisReadTask* task, RespReply* r) noexcept {
    if (!task->parent) delete r;
    return nullptr;
  }

  static void* string(const redisReadTask* task, char* str, std::size_t len) noexcept {
    RespReply* r = place(task);
    if (!r) return nullptr;
    r->type = task->type == REDIS_REPLY_ERROR    ? RespReply::Type::error
              : task->type == REDIS_REPLY_STATUS ? RespReply::Type::status
                                                 : RespReply::Type::string;
    try {
      r->text.assign(str, len);
    } catch (...) {
      return failed(task, r);
    }
    return r;
  }

  static void* array(const redisReadTask* task, int elements) noexcept {
    if (elements < 0 || elements > max_reply_elements) return nullptr;
    RespReply* r = place(task);
    if (!r) return nullptr;
    r->type = RespReply::Type::array;
    try {
      r->elements.resize(static_cast<std::size_t>(elements));
    } catch (...) {
      return failed(task, r);
    }
    return r;
  }

  static void* integer(const redisReadTask* task, long long value) noexcept {
    RespReply* r = place(task);
    if (!r) return nullptr;
    r->type = RespReply::Type::integer;
    r->integer = value;
    return r;
  }

  static void* nil(const redisReadTask* task) noexcept {
    RespReply* r = place(task);
    if (!r) return nullptr;
    r->type = RespReply::Type::nil;
    return r;
  }

  /// hiredis frees only roots (a reply it gives up on); children live in their parent.
  static void free(void* root) noexcept { delete static_cast<RespReply*>(root); }

  static redisReplyObjectFunctions* functions() noexcept {
    static redisReplyObjectFunctions f{&string, &array, &integer, &nil, &free};
    return &f;
  }
};

}  // namespace detail

/// Reads replies from the bytes of one connection, in order. A protocol error (bytes that are
/// not RESP, or an array larger than any governed asks for) leaves the reader unusable: the
/// connection must be closed.
class ReplyReader {
 public:
  ReplyReader() : reader_(redisReaderCreateWithFunctions(detail::ReplyBuilder::functions())) {
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
  Result<std::optional<RespReply>> next() {
    void* raw = nullptr;
    if (redisReaderGetReply(reader_.get(), &raw) != REDIS_OK) return tl::unexpected(protocol_error());
    if (!raw) return std::optional<RespReply>{};
    std::unique_ptr<RespReply> owned(static_cast<RespReply*>(raw));
    return std::optional<RespReply>{std::move(*owned)};
  }

 private:
  Error protocol_error() const {
    return Error{Errc::parse_error,
                 fmt::format("the Redis server sent bytes that are not RESP, or more than governed reads ({})",
                             std::string_view(reader_->errstr)),
                 {}};
  }

  struct Free {
    void operator()(redisReader* r) const noexcept { redisReaderFree(r); }
  };
  std::unique_ptr<redisReader, Free> reader_;
};

}  // namespace governed::redis
