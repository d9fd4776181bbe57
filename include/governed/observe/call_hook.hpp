#pragma once
/// @file
/// `CallHook`: one function called once per call — a success, a failure, a cache hit or a
/// cancellation — with the call's whole `CallRecord` (see observe/stats.hpp), on the thread
/// that ends the call. For a log of calls (observe/call_log.hpp writes it as JSON lines), a
/// tracing exporter, or an application's own accounting.
///
/// Cost when none is installed: `active()` is one relaxed atomic load, and the walk fills the
/// record's hook-only fields only when it is true.
///
/// ```cpp
/// state->call_hook().install([](const governed::CallRecord& r) {
///   fmt::print("{} {} {:.1f} ms\n", r.provider, r.model, std::chrono::duration<double, std::milli>(r.latency).count());
/// });
/// ```

#include <governed/observe/stats.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>

namespace governed {

using CallObserver = std::function<void(const CallRecord&)>;

/// The call-hook slot of a State. Installing and calling may happen on any threads at once: a
/// call that overlaps an install reaches either the old or the new hook, whole.
class CallHook {
 public:
  /// Installs `hook` (an empty function uninstalls).
  void install(CallObserver hook) {
    auto p = hook ? std::make_shared<const CallObserver>(std::move(hook)) : nullptr;
    std::lock_guard lk(m_);
    current_ = std::move(p);
    active_.store(current_ != nullptr, std::memory_order_release);
  }

  /// Whether a hook is installed: one relaxed load.
  bool active() const noexcept { return active_.load(std::memory_order_relaxed); }

  /// Hands `r` to the hook, outside the lock (so the hook may install another).
  void call(const CallRecord& r) const {
    if (!active()) return;
    std::shared_ptr<const CallObserver> h;
    {
      std::lock_guard lk(m_);
      h = current_;
    }
    if (h) (*h)(r);
  }

 private:
  mutable std::mutex m_;
  std::shared_ptr<const CallObserver> current_;
  std::atomic<bool> active_{false};
};

}  // namespace governed
