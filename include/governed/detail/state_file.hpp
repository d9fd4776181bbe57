#pragma once
/// @file
/// Small files that must survive a crash: read with a size cap, replaced atomically, set
/// aside when unreadable.
///
/// A replacement goes to a temporary file in the same directory (rename is atomic only within
/// one file system), is written and fsync'ed, renamed over the old file, and then the
/// directory is fsync'ed so the rename itself is on disk. A crash at any point leaves either
/// the old file or the new one, never a mix; at worst a stray temporary file, which the next
/// writer removes (`remove_stray_temporaries`, called under the same lock the writers hold).

#include <governed/detail/file_lock.hpp>
#include <governed/result.hpp>
#include <governed/time.hpp>

#include <fmt/format.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace governed::detail {

/// The name prefix of `file`'s temporary files: `<name>.tmp-`.
inline std::string state_file_temp_prefix(const std::filesystem::path& file) {
  return file.filename().string() + ".tmp-";
}

/// The contents of `file`, or an empty optional when it does not exist. A file larger than
/// `max_bytes` is an error (parse_error, so callers treat it as corrupt) rather than a read
/// that could exhaust memory.
inline Result<std::optional<std::string>> state_file_read(const std::filesystem::path& file,
                                                          std::size_t max_bytes) {
  int fd;
  do {
    fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<std::string>{};
    return fail(Errc::io_error, fmt::format("cannot read {}: {}", file.string(), errno_text(errno)));
  }
  std::string out;
  char buf[16384];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int e = errno;
      ::close(fd);
      return fail(Errc::io_error, fmt::format("cannot read {}: {}", file.string(), errno_text(e)));
    }
    if (n == 0) break;
    if (out.size() + static_cast<std::size_t>(n) > max_bytes) {
      ::close(fd);
      return fail(Errc::parse_error,
                  fmt::format("{} is larger than {} bytes", file.string(), max_bytes));
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return std::optional<std::string>{std::move(out)};
}

/// Replaces `file` with `contents` atomically (see the file comment). On failure the old file
/// is untouched and the temporary file removed.
inline Result<void> state_file_write(const std::filesystem::path& file, std::string_view contents) {
  static std::atomic<unsigned> counter{0};
  const std::filesystem::path dir = file.parent_path().empty() ? "." : file.parent_path();
  const std::filesystem::path tmp =
      dir / fmt::format("{}{}-{}", state_file_temp_prefix(file), ::getpid(),
                        counter.fetch_add(1, std::memory_order_relaxed));
  const auto failed = [&](std::string_view what, int e) -> Result<void> {
    ::unlink(tmp.c_str());
    return fail(Errc::io_error, fmt::format("cannot write {}: {} failed: {}", file.string(), what,
                                            errno_text(e)));
  };

  int fd;
  do {
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return fail(Errc::io_error, fmt::format("cannot write {}: {}", tmp.string(), errno_text(errno)));
  std::size_t done = 0;
  while (done < contents.size()) {
    const ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int e = errno;
      ::close(fd);
      return failed("write", e);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const int e = errno;
    ::close(fd);
    return failed("fsync", e);
  }
  if (::close(fd) != 0) return failed("close", errno);
  if (::rename(tmp.c_str(), file.c_str()) != 0) return failed("rename", errno);

  // The rename is durable only once the directory entry is: without this, a power cut can
  // bring back the old file even though the call returned.
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return fail(Errc::io_error, fmt::format("cannot sync {}: {}", dir.string(), errno_text(errno)));
  const int rc = ::fsync(dfd);
  const int e = errno;
  ::close(dfd);
  if (rc != 0) return fail(Errc::io_error, fmt::format("cannot sync {}: {}", dir.string(), errno_text(e)));
  return {};
}

/// Removes the temporary files a crashed writer left beside `file`. Call it only under the
/// writers' lock: every live writer holds that lock while its temporary file exists, so any
/// temporary file seen under it belongs to a writer that died. Returns how many it removed.
inline std::size_t state_file_remove_stray_temporaries(const std::filesystem::path& file) {
  const std::string prefix = state_file_temp_prefix(file);
  const std::filesystem::path dir = file.parent_path().empty() ? "." : file.parent_path();
  std::error_code ec;
  std::size_t removed = 0;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().filename().string().starts_with(prefix)) {
      std::error_code rm;
      if (std::filesystem::remove(it->path(), rm)) ++removed;
    }
  }
  return removed;
}

/// Renames an unusable `file` to `<file>.<why>-<epoch ms>` (with a counter if that exists),
/// so what it held stays on disk for a person to read and the next write starts clean.
inline Result<std::filesystem::path> state_file_set_aside(const std::filesystem::path& file,
                                                          std::string_view why, WallTime now) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::error_code ec;
  for (int n = 0; n < 100; ++n) {
    std::filesystem::path target = file;
    target += n == 0 ? fmt::format(".{}-{}", why, ms) : fmt::format(".{}-{}-{}", why, ms, n);
    if (std::filesystem::exists(target, ec)) continue;
    std::filesystem::rename(file, target, ec);
    if (ec)
      return fail(Errc::io_error, fmt::format("cannot set {} aside: {}", file.string(), ec.message()));
    return target;
  }
  return fail(Errc::io_error, fmt::format("cannot set {} aside: 100 set-aside copies already exist", file.string()));
}

}  // namespace governed::detail
