#pragma once
// The demo's replicas: one governed client split over several processes, as a service scaled
// out to N replicas runs it. The parent starts each replica as a child process of the same
// program and reads what it reports, one line at a time, on the child's stdout:
//
//   progress <tasks done> <tasks lost>     every 200 ms while it runs
//   result <json>                          once, at the end: its whole tally (see to_json)
//
// A replica runs the users u with u % N == its index, on a clock that reads what the
// parent's reads (same origin, same scale), so the simulator, the deadline and limits shared
// in Redis all see one time.

#include "clients.hpp"

#include <governed/result.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace demo {

/// The users a replica runs: every `count`-th, starting at `index`.
inline Workload share_of(const Workload& w, std::size_t index, std::size_t count) {
  Workload mine;
  for (std::size_t u = index; u < w.users.size(); u += count) mine.users.push_back(w.users[u]);
  return mine;
}

/// A tally as a replica reports it: counts, its latency histogram's non-empty buckets as
/// [bucket, samples] pairs, and when each of its users ran out of tasks (ns of the shared clock).
inline nlohmann::json to_json(const Tally& t) {
  nlohmann::json latency = nlohmann::json::array();
  for (std::size_t i = 0; i < governed::LatencyHistogram::bucket_count; ++i)
    if (const auto n = t.latency.in_bucket(i)) latency.push_back({i, n});
  nlohmann::json done = nlohmann::json::array();
  for (const auto& d : t.user_done) done.push_back(d.time_since_epoch().count());
  nlohmann::json notices = nlohmann::json::array();
  {
    std::lock_guard lk(t.notices_mutex);
    for (const auto& n : t.notices) notices.push_back({n.at_s, n.kind, n.message});
  }
  return {{"tasks_done", t.tasks_done.load()}, {"tasks_lost", t.tasks_lost.load()}, {"calls_ok", t.calls_ok.load()},
          {"calls_failed", t.calls_failed.load()}, {"retries", t.retries.load()},   {"cache_hits", t.cache_hits.load()},
          {"fallbacks", t.fallbacks.load()},   {"latency", latency},                 {"user_done", done},
          {"notices", notices}};
}

/// Adds a replica's reported tally into `into`. Throws nlohmann::json's errors on a report
/// that is not one.
inline void add_into(Tally& into, const nlohmann::json& j) {
  into.tasks_done += j.at("tasks_done").get<std::uint64_t>();
  into.tasks_lost += j.at("tasks_lost").get<std::uint64_t>();
  into.calls_ok += j.at("calls_ok").get<std::uint64_t>();
  into.calls_failed += j.at("calls_failed").get<std::uint64_t>();
  into.retries += j.at("retries").get<std::uint64_t>();
  into.cache_hits += j.at("cache_hits").get<std::uint64_t>();
  into.fallbacks += j.at("fallbacks").get<std::uint64_t>();
  for (const auto& pair : j.at("latency")) {
    const auto i = pair.at(0).get<std::size_t>();
    if (i >= governed::LatencyHistogram::bucket_count) throw std::out_of_range("latency bucket out of range");
    into.latency.record(Duration{static_cast<std::int64_t>(governed::LatencyHistogram::lower_of(i))},
                        pair.at(1).get<std::uint64_t>());
  }
  for (const auto& d : j.at("user_done")) into.user_done.push_back(Instant{Duration{d.get<std::int64_t>()}});
  for (const auto& n : j.at("notices"))
    into.notice({n.at(0).get<double>(), n.at(1).get<std::string>(), n.at(2).get<std::string>()});
}

/// One replica: a child process of this program, and what it has reported so far.
class Replica {
 public:
  /// Starts `/proc/self/exe args…` with `env` added to this process's environment (a Redis URL
  /// travels there, never on a command line every user of the host can read).
  static governed::Result<std::unique_ptr<Replica>> spawn(const std::vector<std::string>& args,
                                                          const std::vector<std::string>& env) {
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) return governed::fail(governed::Errc::io_error, "replica: no pipe");
    std::vector<std::string> argv_s{"governed-demo"};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_s(env);
    for (char** e = environ; *e; ++e) env_s.emplace_back(*e);
    std::vector<char*> envp;
    for (auto& e : env_s) envp.push_back(e.data());
    envp.push_back(nullptr);

    posix_spawn_file_actions_t files;
    ::posix_spawn_file_actions_init(&files);
    ::posix_spawn_file_actions_adddup2(&files, out[1], 1);  // dup2 clears close-on-exec
    pid_t pid = -1;
    const int spawned = ::posix_spawn(&pid, "/proc/self/exe", &files, nullptr, argv.data(), envp.data());
    ::posix_spawn_file_actions_destroy(&files);
    ::close(out[1]);
    if (spawned != 0) {
      ::close(out[0]);
      return governed::fail(governed::Errc::io_error, fmt::format("replica: could not start ({})", spawned));
    }
    auto r = std::unique_ptr<Replica>(new Replica(pid, out[0]));
    r->reader_ = std::thread([p = r.get()] { p->read(); });
    return r;
  }

  Replica(const Replica&) = delete;
  Replica& operator=(const Replica&) = delete;
  /// A replica not waited for is killed: its pipe closes, and the reader with it.
  ~Replica() {
    if (pid_ > 0) ::kill(pid_, SIGKILL);
    if (reader_.joinable()) reader_.join();
    if (pid_ > 0) {
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }

  std::uint64_t tasks_done() const noexcept { return done_.load(std::memory_order_relaxed); }
  std::uint64_t tasks_lost() const noexcept { return lost_.load(std::memory_order_relaxed); }

  /// Waits for the replica to end: its reported tally, or why there is none.
  governed::Result<nlohmann::json> wait() {
    reader_.join();
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      return governed::fail(governed::Errc::io_error, fmt::format("a replica failed (status {})", status));
    std::lock_guard lk(m_);
    if (!result_) return governed::fail(governed::Errc::parse_error, "a replica ended without reporting");
    return *result_;
  }

 private:
  Replica(pid_t pid, int fd) : pid_(pid), fd_(fd) {}

  void read() {
    std::FILE* in = ::fdopen(fd_, "r");
    if (!in) {
      ::close(fd_);
      return;
    }
    char* line = nullptr;
    std::size_t cap = 0;
    while (::getline(&line, &cap, in) > 0) {
      const std::string_view l{line};
      unsigned long long done = 0, lost = 0;
      if (std::sscanf(line, "progress %llu %llu", &done, &lost) == 2) {
        done_.store(done, std::memory_order_relaxed);
        lost_.store(lost, std::memory_order_relaxed);
      } else if (l.starts_with("result ")) {
        auto j = nlohmann::json::parse(l.substr(7), nullptr, false);
        if (!j.is_discarded()) {
          std::lock_guard lk(m_);
          result_ = std::move(j);
        }
      }
    }
    std::free(line);
    std::fclose(in);
  }

  pid_t pid_;
  int fd_;
  std::thread reader_;
  std::atomic<std::uint64_t> done_{0}, lost_{0};
  std::mutex m_;
  std::optional<nlohmann::json> result_;
};

}  // namespace demo
