#pragma once
/// @file
/// `keys::detail::HealthWriter`: the thread that writes a key pool's health file, so that no
/// caller — least of all an executor thread running `async_send` — waits for the file, its
/// lock or the disk.
///
/// Its queue is coalesced: a write writes the pool's latest state, whatever it is when the
/// write starts, so a burst of a thousand marks asks for a thousand writes and gets one or
/// two. All it holds between writes is a count of writes asked for, the latest wall time
/// asked with, and the fingerprints a user reset (which the next write must remove from the
/// file): bounded by the pool's size, never by how many marks came.

#include <governed/time.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

namespace governed::keys::detail {

class HealthWriter {
 public:
  /// Writes the latest state at `now`, removing the records of `forget`; returns whether it
  /// did. Runs on the writer thread, one call at a time.
  using Write = std::function<bool(WallTime now, std::span<const std::string> forget)>;
  /// Starts a thread running its argument; empty: `std::thread`. Replaceable so that a test
  /// can refuse as a process at its thread limit does (`std::system_error`, EAGAIN).
  using Start = std::function<std::thread(std::function<void()>)>;

  explicit HealthWriter(Write write, Start start = {}) : write_(std::move(write)), start_(std::move(start)) {}
  HealthWriter(const HealthWriter&) = delete;
  HealthWriter& operator=(const HealthWriter&) = delete;
  ~HealthWriter() { stop(); }

  /// Asks for a write at `now` (and, when not empty, for `forget`'s records to go). Returns at
  /// once; the thread starts with the first request. False when the thread could not be
  /// started (the process is out of threads): the write is given up, as a failed one is —
  /// `forget` is kept for the next — and the next request tries to start the thread again.
  bool request(WallTime now, std::string_view forget = {}) {
    std::lock_guard lk(m_);
    if (stopping_) return true;
    ++requested_;
    latest_ = std::max(latest_, now);
    if (!forget.empty() && std::find(forget_.begin(), forget_.end(), forget) == forget_.end())
      forget_.emplace_back(forget);
    if (!thread_.joinable()) {
      try {
        thread_ = start_ ? start_([this] { run(); }) : std::thread([this] { run(); });
      } catch (const std::system_error&) {
        tried_ = requested_;  // no thread ran before this one: nothing else is pending
        return false;
      }
    }
    wake_.notify_one();
    return true;
  }

  /// Waits until every write asked for before the call has been tried (written, or given up),
  /// for at most `timeout`; returns whether they all were.
  bool flush(std::chrono::nanoseconds timeout) {
    std::unique_lock lk(m_);
    const std::uint64_t target = requested_;
    return done_.wait_for(lk, timeout, [&] { return tried_ >= target; });
  }

  /// Lets the thread finish the write asked for last, then joins it. Later requests are
  /// ignored. Bounded by one write (which the write function bounds: the lock wait).
  void stop() noexcept {
    {
      std::lock_guard lk(m_);
      stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
  }

 private:
  // Each turn writes the latest state once, however many requests came since the last. A
  // failed write keeps its fingerprints to forget for the next one.
  void run() {
    std::unique_lock lk(m_);
    for (;;) {
      wake_.wait(lk, [&] { return stopping_ || requested_ > tried_; });
      if (requested_ == tried_) return;  // stopping, nothing left to write
      const std::uint64_t target = requested_;
      const WallTime now = latest_;
      std::vector<std::string> forget = std::exchange(forget_, {});
      lk.unlock();
      const bool ok = write_(now, forget);
      lk.lock();
      if (!ok)
        for (auto& fp : forget)
          if (std::find(forget_.begin(), forget_.end(), fp) == forget_.end()) forget_.push_back(std::move(fp));
      tried_ = target;
      done_.notify_all();
    }
  }

  Write write_;
  Start start_;
  std::mutex m_;
  std::condition_variable wake_, done_;
  std::uint64_t requested_ = 0, tried_ = 0;
  WallTime latest_{};
  std::vector<std::string> forget_;
  bool stopping_ = false;
  std::thread thread_;  // last: started after everything it reads
};

}  // namespace governed::keys::detail
