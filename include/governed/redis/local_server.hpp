#pragma once
/// @file
/// `redis::LocalServer`: a redis-server of the caller's own, on a free loopback port, for a
/// demo, a test or a local run of several replicas — started from the `redis-server` on the
/// PATH (Debian: the redis-server package), keeping nothing on disk, stopped with the object.
/// Not part of the umbrella header: production code talks to a Redis it is given.
///
/// ```cpp
/// auto server = governed::redis::LocalServer::start();
/// if (!server) return fail(server.error());           // not installed, or did not come up
/// config.shared = *governed::redis::backend(server->url(), {.replicas = 3});
/// ```

#include <governed/error.hpp>
#include <governed/redis/url.hpp>
#include <governed/result.hpp>

#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace governed::redis {

class LocalServer {
 public:
  /// Starts a server with `extra` arguments (`--requirepass`, `--cluster-enabled` …) and waits
  /// until it accepts connections. Errors: redis-server missing, or it exited or stayed silent
  /// for 5 s (the port was taken, an argument was wrong).
  static Result<LocalServer> start(std::vector<std::string> extra = {}) {
    return start_as(LocalServer{}, std::move(extra));
  }

  /// The files of a server that speaks TLS only (rediss://): its certificate chain and key, and
  /// the CA file Redis insists on (clients are not asked for certificates).
  struct TlsFiles {
    std::string cert_file, key_file, ca_file;
  };

  /// As `start`, the port speaking TLS only.
  static Result<LocalServer> start_tls(const TlsFiles& tls, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"--tls-cert-file", tls.cert_file, "--tls-key-file", tls.key_file,
                                  "--tls-ca-cert-file", tls.ca_file, "--tls-auth-clients", "no"};
    args.insert(args.end(), extra.begin(), extra.end());
    LocalServer s;
    s.tls_ = true;
    return start_as(std::move(s), std::move(args));
  }

  LocalServer(LocalServer&& o) noexcept
      : port_(o.port_), pid_(std::exchange(o.pid_, -1)), tls_(o.tls_), extra_(std::move(o.extra_)),
        dir_(std::move(o.dir_)) {
    o.dir_.clear();
  }
  LocalServer& operator=(LocalServer&&) = delete;
  ~LocalServer() {
    stop(SIGTERM);
    if (!dir_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(dir_, ignored);
    }
  }

  std::uint16_t port() const noexcept { return port_; }
  /// `redis://127.0.0.1:<port>` (`rediss://localhost:<port>` for a TLS server, the name its
  /// certificate is for), with `credentials` ("user:pass@") when given.
  std::string url(std::string_view credentials = {}) const {
    return tls_ ? fmt::format("rediss://{}localhost:{}", credentials, port_)
                : fmt::format("redis://{}127.0.0.1:{}", credentials, port_);
  }
  Endpoint endpoint() const {
    Endpoint e;
    e.port = port_;
    e.tls = tls_;
    if (tls_) e.host = "localhost";
    return e;
  }

  /// Kills the server at once (SIGKILL): connections drop, nothing is saved.
  void kill() { stop(SIGKILL); }

  /// Starts it again on the same port, empty.
  Result<void> restart() {
    stop(SIGTERM);
    return launch();
  }

 private:
  LocalServer() = default;

  static Result<LocalServer> start_as(LocalServer s, std::vector<std::string> extra) {
    s.extra_ = std::move(extra);
    char dir[] = "/tmp/governed-redis-XXXXXX";
    if (!::mkdtemp(dir)) return fail(Errc::io_error, "could not make a directory for redis-server under /tmp");
    s.dir_ = dir;
    s.port_ = free_port();
    if (s.port_ == 0) return fail(Errc::io_error, "no free loopback port for redis-server");
    if (auto up = s.launch(); !up) return tl::unexpected(up.error());
    return s;
  }

  /// A port the system has just handed out and taken back: free unless another program takes
  /// it in the moment before the server binds it (then `start` fails and says so).
  static std::uint16_t free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return 0;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
                    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
    ::close(fd);
    return ok ? ntohs(a.sin_port) : 0;
  }

  Result<void> launch() {
    // A TLS server listens on the port with TLS and on no plain one.
    std::vector<std::string> args{"redis-server", "--port", tls_ ? "0" : std::to_string(port_), "--bind", "127.0.0.1",
                                  "--save", "", "--appendonly", "no", "--protected-mode", "no",
                                  "--dir", dir_, "--loglevel", "warning"};
    if (tls_) args.insert(args.end(), {"--tls-port", std::to_string(port_)});
    args.insert(args.end(), extra_.begin(), extra_.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    // Its output would interleave with the caller's: it goes nowhere.
    posix_spawn_file_actions_t files;
    ::posix_spawn_file_actions_init(&files);
    ::posix_spawn_file_actions_addopen(&files, 1, "/dev/null", O_WRONLY, 0);
    ::posix_spawn_file_actions_addopen(&files, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid = -1;
    const int spawned = ::posix_spawnp(&pid, "redis-server", &files, nullptr, argv.data(), environ);
    ::posix_spawn_file_actions_destroy(&files);
    if (spawned != 0)
      return fail(Errc::io_error, "redis-server is not installed (Debian: apt-get install redis-server)");
    pid_ = pid;
    // Up when it accepts a connection; a server that exited (port taken, bad argument) is not.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{5};
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return fail(Errc::io_error, fmt::format("redis-server exited at start (port {})", port_));
      }
      if (accepts()) return {};
      std::this_thread::sleep_for(std::chrono::milliseconds{10});
    }
    stop(SIGKILL);
    return fail(Errc::timed_out, fmt::format("redis-server did not accept connections on port {} within 5 s", port_));
  }

  bool accepts() const {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return false;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port_);
    const bool up = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return up;
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
  bool tls_ = false;
  std::vector<std::string> extra_;
  std::string dir_;
};

}  // namespace governed::redis
