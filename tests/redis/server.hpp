#pragma once
// A redis-server of the test's own, on a free loopback port, started from Debian's package and
// stopped (or killed, and restarted on the same port) by the test.

#include <governed/redis/connection.hpp>

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace governed_test {

class RedisServer {
 public:
  /// A server with `extra` arguments (`--requirepass`, `--cluster-enabled` …), or none when
  /// redis-server is not installed or does not come up.
  static std::optional<RedisServer> start(std::vector<std::string> extra = {}) {
    RedisServer s;
    s.port_ = free_port();
    s.extra_ = std::move(extra);
    s.dir_ = fmt::format("/tmp/governed-redis-{}-{}", ::getpid(), s.port_);
    if (!s.launch()) return std::nullopt;
    return s;
  }

  RedisServer(RedisServer&& o) noexcept
      : port_(o.port_), pid_(std::exchange(o.pid_, -1)), extra_(std::move(o.extra_)), dir_(std::move(o.dir_)) {}
  RedisServer& operator=(RedisServer&&) = delete;
  ~RedisServer() { stop(SIGTERM); }

  std::uint16_t port() const noexcept { return port_; }
  std::string url(std::string_view credentials = {}) const {
    return fmt::format("redis://{}127.0.0.1:{}", credentials, port_);
  }
  governed::redis::Endpoint endpoint() const {
    governed::redis::Endpoint e;
    e.port = port_;
    return e;
  }

  /// Kills the server at once (SIGKILL): connections drop, nothing is saved.
  void kill() { stop(SIGKILL); }

  /// Starts it again on the same port, empty.
  bool restart() {
    stop(SIGTERM);
    return launch();
  }

 private:
  RedisServer() = default;

  static std::uint16_t free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof a;
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
  }

  bool launch() {
    (void)std::system(fmt::format("mkdir -p {}", dir_).c_str());
    std::vector<std::string> args{"redis-server", "--port", std::to_string(port_), "--bind", "127.0.0.1",
                                  "--save", "", "--appendonly", "no", "--protected-mode", "no",
                                  "--dir", dir_, "--loglevel", "warning"};
    args.insert(args.end(), extra_.begin(), extra_.end());
    pid_ = ::fork();
    if (pid_ == 0) {
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      const int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, 1);
      ::dup2(null, 2);
      ::execvp("redis-server", argv.data());
      ::_exit(127);
    }
    if (pid_ < 0) return false;
    // Up when it accepts a connection; a server that exited (not installed, port taken) is not.
    for (int i = 0; i < 500; ++i) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      a.sin_port = htons(port_);
      const bool up = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
      ::close(fd);
      if (up) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds{10});
    }
    stop(SIGKILL);
    return false;
  }

  void stop(int sig) {
    if (pid_ <= 0) return;
    ::kill(pid_, sig);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
  std::vector<std::string> extra_;
  std::string dir_;
};

/// A namespace no other test (or earlier run) has used on a server.
inline std::string fresh_namespace(std::string_view test) {
  static int n = 0;
  return fmt::format("{}-{}-{}", test, ::getpid(), ++n);
}

}  // namespace governed_test

/// Starts a server for one test case, or says why the test is skipped.
#define GOVERNED_REDIS_SERVER(name, ...)                                       \
  auto name##_started = governed_test::RedisServer::start(__VA_ARGS__);      \
  if (!name##_started) {                                                     \
    WARN("redis-server is not installed or did not start: test skipped");    \
    return;                                                                  \
  }                                                                          \
  auto& name = *name##_started
