#pragma once
// The real governed-sim program, started with the flags a test gives it and stopped when the
// test ends. Its path comes from the build (GOVERNED_SIM_PROGRAM); the base URL of each
// provider it serves is read from the lines it prints at start, within a few seconds.

#include <governed/error.hpp>
#include <governed/result.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace governed_test {

class SimProcess {
 public:
  /// Starts governed-sim with `flags` (besides `--port 0`) and waits, at most 10 s, for it to
  /// print its providers' base URLs.
  static governed::Result<SimProcess> start(std::vector<std::string> flags) {
    SimProcess p;
    std::vector<std::string> args{GOVERNED_SIM_PROGRAM, "--port", "0"};
    args.insert(args.end(), flags.begin(), flags.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) return governed::fail(governed::Errc::io_error, "no pipe for governed-sim's output");
    posix_spawn_file_actions_t files;
    ::posix_spawn_file_actions_init(&files);
    ::posix_spawn_file_actions_adddup2(&files, out[1], 1);
    pid_t pid = -1;
    const int spawned = ::posix_spawn(&pid, argv[0], &files, nullptr, argv.data(), environ);
    ::posix_spawn_file_actions_destroy(&files);
    ::close(out[1]);
    if (spawned != 0) {
      ::close(out[0]);
      return governed::fail(governed::Errc::io_error, fmt::format("{} could not be started", args[0]));
    }
    p.pid_ = pid;
    p.out_ = out[0];
    if (auto up = p.read_banner(flags); !up) return tl::unexpected(up.error());
    return p;
  }

  SimProcess(SimProcess&& o) noexcept
      : pid_(std::exchange(o.pid_, -1)), out_(std::exchange(o.out_, -1)), base_urls_(std::move(o.base_urls_)) {}
  SimProcess& operator=(SimProcess&&) = delete;
  ~SimProcess() { stop(); }

  /// The base URL its clients use for `provider` ("http://127.0.0.1:PORT/v1" for OpenAI);
  /// empty when it does not serve it.
  std::string base_url(std::string_view provider) const {
    auto it = base_urls_.find(std::string(provider));
    return it == base_urls_.end() ? std::string{} : it->second;
  }

 private:
  SimProcess() = default;

  /// The first line is `listening on URL`; one line per provider follows, `NAME BASE_URL`.
  governed::Result<void> read_banner(const std::vector<std::string>& flags) {
    std::string text;
    bool listening = false;
    std::size_t lines = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
    for (;;) {
      for (std::size_t at; (at = text.find('\n')) != std::string::npos; text.erase(0, at + 1)) {
        const std::string line = text.substr(0, at);
        ++lines;
        if (!listening) {
          listening = line.starts_with("listening on http://127.0.0.1:");
          if (!listening) return refuse(flags, "its first line is not `listening on …`: " + line);
          continue;
        }
        const auto space = line.find(' ');
        if (space != std::string::npos) base_urls_[line.substr(0, space)] = line.substr(space + 1);
      }
      // Every provider asked for has its line (one provider unless --provider says more).
      if (listening && base_urls_.size() >= providers_asked(flags)) return {};
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return refuse(flags, "it printed no base URL within 10 s");
      pollfd pfd{out_, POLLIN, 0};
      if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[512];
      const auto n = ::read(out_, buf, sizeof buf);
      if (n <= 0) return refuse(flags, "it exited before printing its base URLs");
      text.append(buf, static_cast<std::size_t>(n));
    }
  }

  static std::size_t providers_asked(const std::vector<std::string>& flags) {
    for (std::size_t i = 0; i + 1 < flags.size(); ++i)
      if (flags[i] == "--provider") return static_cast<std::size_t>(std::count(flags[i + 1].begin(), flags[i + 1].end(), ',')) + 1;
    return 1;
  }

  governed::Result<void> refuse(const std::vector<std::string>& flags, std::string why) {
    std::string shown;
    for (const auto& f : flags) shown += " " + f;
    return governed::fail(governed::Errc::io_error, fmt::format("governed-sim{}: {}", shown, why));
  }

  /// SIGTERM, which it handles by returning from main; SIGKILL if it has not ended in 5 s.
  void stop() noexcept {
    if (out_ >= 0) ::close(out_);
    out_ = -1;
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{5};
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() >= deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds{5});
    }
    pid_ = -1;
  }

  pid_t pid_ = -1;
  int out_ = -1;
  std::map<std::string, std::string> base_urls_;
};

}  // namespace governed_test
