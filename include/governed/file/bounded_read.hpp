#pragma once
/// @file
/// `read_bounded_file`: reads a configuration file a person named, and nothing else.
///
/// A path from a command line or an environment variable may name anything: `/dev/zero`
/// (reading it to the end never ends), a FIFO (opening it blocks until a writer comes), a
/// directory, a file of gigabytes. So the file is opened without blocking, must be a regular
/// file (symbolic links are followed: a configuration path is often one), and at most
/// `max_bytes` + 1 bytes are read, so a file that grew past the limit is still refused.

#include <governed/error.hpp>
#include <governed/result.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

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
  const auto refused = [&](std::string_view why) {
    return fail(Errc::io_error, fmt::format("cannot read {}: {}", path.string(), why));
  };
  const auto failed = [&] { return refused(std::error_code(errno, std::generic_category()).message()); };
  int raw;
  do {
    // O_NONBLOCK: opening a FIFO with no writer returns at once instead of waiting for one.
    raw = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  } while (raw < 0 && errno == EINTR);
  if (raw < 0) return failed();
  const FileDescriptor fd(raw);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return failed();
  if (!S_ISREG(st.st_mode)) return refused("not a regular file");
  const std::string too_large = fmt::format("larger than the limit of {} bytes", max_bytes);
  if (static_cast<std::uint64_t>(st.st_size) > max_bytes) return refused(too_large);
  // Room for the size fstat gave and one byte more, to see a file that grew past the limit.
  const std::size_t most = max_bytes == SIZE_MAX ? max_bytes : max_bytes + 1;
  std::string out;
  out.resize(std::min(most, static_cast<std::size_t>(st.st_size) + 1));
  std::size_t have = 0;
  for (;;) {
    if (have == out.size()) {
      // The file grew after fstat: read on only up to one byte past the limit.
      if (out.size() >= most) break;
      out.resize(std::min(most, out.size() * 2 + 4096));
    }
    const ssize_t n = ::read(fd.get(), out.data() + have, out.size() - have);
    if (n < 0) {
      if (errno == EINTR) continue;
      return failed();
    }
    if (n == 0) break;
    have += static_cast<std::size_t>(n);
  }
  if (have > max_bytes) return refused(too_large);
  out.resize(have);
  return out;
}

}  // namespace governed::detail
