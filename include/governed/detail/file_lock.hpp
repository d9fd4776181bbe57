#pragma once
/// @file
/// `detail::FileLock`: an exclusive advisory lock (flock) on a lock file, held for the life of
/// the object.
///
/// flock locks belong to the open file description, so two processes, and two opens in one
/// process, exclude each other; the lock goes away with the process, so a writer that crashes
/// never leaves the file locked. The lock file is never deleted: removing it while another
/// process waits on it would let a third lock a new file of the same name at the same time.

#include <governed/result.hpp>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>
#include <utility>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace governed::detail {

inline std::string errno_text(int e) {
  // strerror_r has two signatures; std::error_code gives the same text through one.
  return std::error_code(e, std::generic_category()).message();
}

class FileLock {
 public:
  /// Opens (creating with mode 0600) and locks `path`, blocking until the lock is free.
  static Result<FileLock> acquire(const std::filesystem::path& path) {
    int fd;
    do {
      fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0)
      return fail(Errc::io_error, fmt::format("cannot open lock file {}: {}", path.string(), errno_text(errno)));
    int rc;
    do {
      rc = ::flock(fd, LOCK_EX);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
      const int e = errno;
      ::close(fd);
      return fail(Errc::io_error, fmt::format("cannot lock {}: {}", path.string(), errno_text(e)));
    }
    return FileLock(fd);
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
