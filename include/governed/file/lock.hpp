#pragma once
/// @file
/// `detail::FileLock`: an exclusive advisory lock (flock) on a lock file, held for the life of
/// the object, waited for no longer than the caller says.
///
/// flock locks belong to the open file description, so two processes, and two opens in one
/// process, exclude each other; the lock goes away with the process, so a writer that crashes
/// never leaves the file locked. The lock file is never deleted: removing it while another
/// process waits on it would let a third lock a new file of the same name at the same time.
///
/// A process that stops while holding the lock (SIGSTOP, a debugger, a hung NFS server) must
/// not stop everyone else: `acquire` tries without blocking and retries until its bound, then
/// gives up with `Errc::timed_out`, and the caller carries on without the file.

#include <governed/result.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace governed::detail {

inline std::string errno_text(int e) {
  // strerror_r has two signatures; std::error_code gives the same text through one.
  return std::error_code(e, std::generic_category()).message();
}

/// Opens `path` for `flags` without following a symbolic link at its last component and
/// without blocking on a FIFO or a device, and accepts it only if it is a regular file. An
/// attacker who can write to the directory can then neither redirect the write elsewhere
/// nor hang the reader. Returns the descriptor, or -1 with errno set (ELOOP for a symbolic
/// link, EINVAL for anything but a regular file).
inline int open_regular_file(const std::filesystem::path& path, int flags, mode_t mode = 0600) noexcept {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return -1;
  struct stat st {};
  const int e = ::fstat(fd, &st) != 0 ? errno : !S_ISREG(st.st_mode) ? EINVAL : 0;
  if (e != 0) {
    ::close(fd);
    errno = e;
    return -1;
  }
  // O_NONBLOCK was for the open only; a regular file ignores it, but leave no surprise.
  const int fl = ::fcntl(fd, F_GETFL);
  if (fl >= 0) ::fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
  return fd;
}

/// Why `open_regular_file` refused `path`, for a person.
inline std::string open_refusal(const std::filesystem::path& path, int e) {
  if (e == ELOOP) return fmt::format("{} is a symbolic link, which is not followed", path.string());
  if (e == EINVAL) return fmt::format("{} is not a regular file", path.string());
  return fmt::format("cannot open {}: {}", path.string(), errno_text(e));
}

class FileLock {
 public:
  /// Opens (creating with mode 0600) and locks `path`, trying for at most `bound`: first
  /// without waiting, then again after pauses that grow from 1 ms to 50 ms. Errors:
  /// `timed_out` when another holder kept the lock for the whole bound; `io_error` when the
  /// lock file can not be opened (a symbolic link or other non-regular file is refused).
  static Result<FileLock> acquire(const std::filesystem::path& path, std::chrono::nanoseconds bound) {
    const int fd = open_regular_file(path, O_RDWR | O_CREAT);
    if (fd < 0) return fail(Errc::io_error, fmt::format("lock file: {}", open_refusal(path, errno)));
    const auto deadline = std::chrono::steady_clock::now() + std::max(bound, std::chrono::nanoseconds{0});
    std::chrono::nanoseconds pause = std::chrono::milliseconds{1};
    for (;;) {
      if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return FileLock(fd);
      const int e = errno;
      if (e != EWOULDBLOCK && e != EINTR) {
        ::close(fd);
        return fail(Errc::io_error, fmt::format("cannot lock {}: {}", path.string(), errno_text(e)));
      }
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) break;
      std::this_thread::sleep_for(std::min<std::chrono::nanoseconds>(pause, deadline - now));
      pause = std::min<std::chrono::nanoseconds>(pause * 2, std::chrono::milliseconds{50});
    }
    ::close(fd);
    return fail(Errc::timed_out,
                fmt::format("{} stayed locked by another process for {} ms", path.string(),
                            std::chrono::duration_cast<std::chrono::milliseconds>(bound).count()));
  }

  FileLock(FileLock&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  FileLock& operator=(FileLock&& o) noexcept {
    if (this != &o) {
      release();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock() { release(); }

 private:
  explicit FileLock(int fd) noexcept : fd_(fd) {}

  void release() noexcept {
    // Closing the descriptor drops the flock with it.
    if (fd_ >= 0) ::close(std::exchange(fd_, -1));
  }

  int fd_ = -1;
};

}  // namespace governed::detail
