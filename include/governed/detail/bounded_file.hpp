#pragma once
/// @file
/// `read_bounded_file`: reads a configuration file a person named, and nothing else.
///
/// A path from a command line or an environment variable may name anything: `/dev/zero`
/// (reading it to the end never ends), a FIFO (opening it blocks until a writer comes), a
/// directory, a file of gigabytes. So the file is opened without blocking, must be a regular
/// file (symbolic links are followed: a configuration path is often one), and at most
/// `max_bytes` + 1 bytes are read, so a file that grew past the limit is still refused.

#include <governed/detail/file_lock.hpp>
#include <governed/error.hpp>
#include <governed/result.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace governed::detail {

/// Closes a descriptor on every way out.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) noexcept : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const noexcept { return fd_; }

 private:
  int fd_;
};

/// The contents of the regular file `path`, at most `max_bytes` long. Errors (io_error) name
/// the path and say what is wrong: missing, not a regular file, larger than the limit.
inline Result<std::string> read_bounded_file(const std::filesystem::path& path, std::size_t max_bytes) {
  int raw;
  do {
    // O_NONBLOCK: opening a FIFO with no writer returns at once instead of waiting for one.
    raw = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  } while (raw < 0 && errno == EINTR);
  if (raw < 0) return fail(Errc::io_error, fmt::format("cannot read {}: {}", path.string(), errno_text(errno)));
  const FileDescriptor fd(raw);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0)
    return fail(Errc::io_error, fmt::format("cannot read {}: {}", path.string(), errno_text(errno)));
  if (!S_ISREG(st.st_mode))
    return fail(Errc::io_error, fmt::format("cannot read {}: not a regular file", path.string()));
  if (static_cast<std::uint64_t>(st.st_size) > max_bytes)
    return fail(Errc::io_error, fmt::format("cannot read {}: larger than the limit of {} bytes", path.string(), max_bytes));
  std::string out;
  out.resize(static_cast<std::size_t>(st.st_size) + 1);
  std::size_t have = 0;
  for (;;) {
    if (have == out.size()) {
      // The file grew after fstat: read on only up to one byte past the limit.
      if (out.size() > max_bytes) break;
      out.resize(std::min(max_bytes + 1, out.size() * 2 + 4096));
    }
    const ssize_t n = ::read(fd.get(), out.data() + have, out.size() - have);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(Errc::io_error, fmt::format("cannot read {}: {}", path.string(), errno_text(errno)));
    }
    if (n == 0) break;
    have += static_cast<std::size_t>(n);
  }
  if (have > max_bytes)
    return fail(Errc::io_error, fmt::format("cannot read {}: larger than the limit of {} bytes", path.string(), max_bytes));
  out.resize(have);
  return out;
}

}  // namespace governed::detail
