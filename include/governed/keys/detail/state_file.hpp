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

#include <governed/file/lock.hpp>
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
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace governed::detail {

/// The name prefix of `file`'s temporary files: `<name>.tmp-`.
inline std::string state_file_temp_prefix(const std::filesystem::path& file) {
  return file.filename().string() + ".tmp-";
}

/// The contents of `file`, or an empty optional when it does not exist. Only a regular file
/// is read, never through a symbolic link and never blocking on a FIFO or device (io_error
/// naming what it is instead). A file larger than `max_bytes` is an error (parse_error, so
/// callers treat it as corrupt) rather than a read that could exhaust memory.
inline Result<std::optional<std::string>> state_file_read(const std::filesystem::path& file,
                                                          std::size_t max_bytes) {
  const int fd = open_regular_file(file, O_RDONLY);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<std::string>{};
    return fail(Errc::io_error, fmt::format("cannot read the state file: {}", open_refusal(file, errno)));
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

/// Makes sure the directory `dir` exists. Every component it creates is made mode 0700 (and
/// chmod'ed so, whatever the umask): the files inside say which keys a user holds and when
/// their quotas run out, which is nobody else's business. An existing directory is left as
/// it is — the user chose it. Errors name the directory.
inline Result<void> state_dir_ensure(const std::filesystem::path& dir) {
  // The missing components, innermost first, found without recursion.
  std::vector<std::filesystem::path> missing;
  std::error_code ec;
  for (std::filesystem::path p = dir; !p.empty() && !std::filesystem::is_directory(p, ec); p = p.parent_path()) {
    missing.push_back(p);
    if (p.parent_path() == p) break;
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    const std::filesystem::path& p = *it;
    if (::mkdir(p.c_str(), 0700) != 0) {
      if (errno == EEXIST && std::filesystem::is_directory(p, ec)) continue;  // made a moment ago by another process
      return fail(Errc::io_error, fmt::format("cannot create {}: {}", p.string(), errno_text(errno)));
    }
    // The umask may have taken bits from mkdir's 0700 (a umask of 0777 leaves 0000, which
    // could not even be opened to fchmod). Never through a symbolic link swapped in since.
    if (::fchmodat(AT_FDCWD, p.c_str(), 0700, AT_SYMLINK_NOFOLLOW) != 0)
      return fail(Errc::io_error, fmt::format("cannot make {} private: {}", p.string(), errno_text(errno)));
  }
  return {};
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
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
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

/// A free name beside `file` for a copy set aside: `<file>.<why>-<epoch ms>`, with a counter
/// when that exists already.
inline Result<std::filesystem::path> state_file_aside_path(const std::filesystem::path& file, std::string_view why,
                                                           WallTime now) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::error_code ec;
  for (int n = 0; n < 100; ++n) {
    std::filesystem::path target = file;
    target += n == 0 ? fmt::format(".{}-{}", why, ms) : fmt::format(".{}-{}-{}", why, ms, n);
    if (!std::filesystem::exists(std::filesystem::symlink_status(target, ec))) return target;
  }
  return fail(Errc::io_error, fmt::format("cannot set {} aside: 100 set-aside copies already exist", file.string()));
}

/// Renames an unusable `file` to `<file>.<why>-<epoch ms>` (with a counter if that exists),
/// so what it held stays on disk for a person to read and the next write starts clean.
inline Result<std::filesystem::path> state_file_set_aside(const std::filesystem::path& file,
                                                          std::string_view why, WallTime now) {
  auto target = state_file_aside_path(file, why, now);
  if (!target) return target;
  std::error_code ec;
  std::filesystem::rename(file, *target, ec);
  if (ec) return fail(Errc::io_error, fmt::format("cannot set {} aside: {}", file.string(), ec.message()));
  return target;
}

}  // namespace governed::detail
