#pragma once
/// @file
/// Per-task budgets for agent loops: how many calls, and how many tokens, one task instance
/// may spend before it is stopped.
///
/// An agent that loops on a tool call can run up hundreds of calls when it never converges.
/// Each task instance (an id the caller chooses: one agent run, one job) gets its own budget,
/// its limits chosen by the task's kind. The defaults are those of the application this
/// library came from: a scraper may make 50 calls, a cover-letter writer 30, a job hunter 25,
/// a worker 20, anything else 20. Call 51 of a scraper is refused with
/// `Error{budget_exhausted}`; another task, of any kind, is unaffected.
///
/// Tokens are reserved before a call (its estimate) and settled after it (the real usage),
/// so concurrent calls of one task cannot together overshoot its token budget.
///
/// ```cpp
/// governed::TaskBudgets budgets;                        // scraper 50, ..., default 20
/// auto t = budgets.begin_call("run-17", "scraper", 1200);
/// if (!t) return tl::unexpected(t.error());             // "Task run-17 (scraper) has used ..."
/// ... call ...
/// t->settle(usage.total());
/// ```

#include <governed/providers/redact.hpp>
#include <governed/result.hpp>

#include <fmt/format.h>

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace governed {

/// The limits of each task kind.
struct TaskBudgetConfig {
  /// Calls per task instance, by kind.
  std::map<std::string, std::int64_t, std::less<>> calls_by_kind{
      {"scraper", 50}, {"cover_letter_writer", 30}, {"job_hunter", 25}, {"worker", 20}};
  /// Calls for a kind not in the map (and for an empty kind).
  std::int64_t default_calls = 20;
  /// Tokens (input + output) per task instance, by kind; a kind not in the map uses
  /// `default_tokens`, and no value there means no token budget.
  std::map<std::string, std::int64_t, std::less<>> tokens_by_kind{};
  std::optional<std::int64_t> default_tokens{};
};

/// What one task instance has used so far.
struct TaskUsage {
  std::int64_t calls = 0;
  std::int64_t call_limit = 0;
  std::int64_t tokens = 0;           ///< settled
  std::int64_t tokens_reserved = 0;  ///< held by calls in flight
  std::optional<std::int64_t> token_limit{};
};

class TaskBudgets;

/// One call's claim on its task's budget. The call itself is counted when the ticket is
/// issued (a failed call still went round the loop); the tokens it reserved are replaced by
/// the real count on `settle`, and given back if the ticket is destroyed unsettled (the call
/// never reached a provider). Move-only; the `TaskBudgets` must outlive it.
class TaskTicket {
 public:
  TaskTicket() = default;
  TaskTicket(TaskTicket&& o) noexcept { *this = std::move(o); }
  TaskTicket& operator=(TaskTicket&& o) noexcept {
    if (this != &o) {
      release();
      owner_ = std::exchange(o.owner_, nullptr);
      task_ = std::move(o.task_);
      reserved_ = o.reserved_;
    }
    return *this;
  }
  TaskTicket(const TaskTicket&) = delete;
  TaskTicket& operator=(const TaskTicket&) = delete;
  ~TaskTicket() { release(); }

  /// Replaces the reservation with what the call really used.
  inline void settle(std::int64_t actual_tokens);
  const std::string& task_id() const noexcept { return task_; }
  std::int64_t reserved_tokens() const noexcept { return reserved_; }
  bool active() const noexcept { return owner_ != nullptr; }

 private:
  friend class TaskBudgets;
  TaskTicket(TaskBudgets* owner, std::string task, std::int64_t reserved)
      : owner_(owner), task_(std::move(task)), reserved_(reserved) {}
  inline void release() noexcept;

  TaskBudgets* owner_ = nullptr;
  std::string task_;
  std::int64_t reserved_ = 0;
};

/// Call and token budgets of every task instance. Thread-safe (one mutex; a call takes it
/// twice, at `begin_call` and at `settle`).
class TaskBudgets {
 public:
  explicit TaskBudgets(TaskBudgetConfig config = {}) : config_(std::move(config)) {}
  TaskBudgets(const TaskBudgets&) = delete;
  TaskBudgets& operator=(const TaskBudgets&) = delete;

  /// Counts one call of task `task_id` (of kind `kind`, which fixes its limits on the task's
  /// first call) and reserves `estimated_tokens`. Refused with `budget_exhausted` when the
  /// task has made all its calls or the estimate does not fit what is left of its tokens;
  /// a refused call is not counted. An empty `task_id` has no budget.
  Result<TaskTicket> begin_call(std::string_view task_id, std::string_view kind,
                                std::int64_t estimated_tokens = 0) {
    if (estimated_tokens < 0) return fail(Errc::invalid_argument, "a token estimate can not be negative");
    if (task_id.empty()) return TaskTicket{};
    std::lock_guard lk(m_);
    auto it = tasks_.find(task_id);
    if (it == tasks_.end()) it = tasks_.emplace(std::string(task_id), fresh(kind)).first;
    Task& t = it->second;
    if (t.usage.calls >= t.usage.call_limit) {
      return fail(Errc::budget_exhausted,
                  providers::redact(fmt::format("Task {} ({}) has used all {} calls of its budget; it is stopped.",
                                                task_id, t.kind, t.usage.call_limit)));
    }
    if (t.usage.token_limit &&
        t.usage.tokens + t.usage.tokens_reserved + estimated_tokens > *t.usage.token_limit) {
      return fail(Errc::budget_exhausted,
                  providers::redact(fmt::format(
                      "Task {} ({}) would exceed its budget of {} tokens ({} used, {} in flight, "
                      "{} more needed); it is stopped.",
                      task_id, t.kind, *t.usage.token_limit, t.usage.tokens, t.usage.tokens_reserved,
                      estimated_tokens)));
    }
    ++t.usage.calls;
    t.usage.tokens_reserved += estimated_tokens;
    return TaskTicket{this, std::string(task_id), estimated_tokens};
  }

  /// What task `task_id` has used; empty when it has made no call.
  std::optional<TaskUsage> usage(std::string_view task_id) const {
    std::lock_guard lk(m_);
    auto it = tasks_.find(task_id);
    if (it == tasks_.end()) return std::nullopt;
    return it->second.usage;
  }

  /// Forgets a finished task, so a long-running process does not keep every id it ever saw.
  /// A ticket still in flight for it settles into nothing.
  void end_task(std::string_view task_id) {
    std::lock_guard lk(m_);
    if (auto it = tasks_.find(task_id); it != tasks_.end()) tasks_.erase(it);
  }

  /// The call limit a task of `kind` gets.
  std::int64_t call_limit(std::string_view kind) const {
    auto it = config_.calls_by_kind.find(kind);
    return it == config_.calls_by_kind.end() ? config_.default_calls : it->second;
  }

  /// The token limit a task of `kind` gets, if any.
  std::optional<std::int64_t> token_limit(std::string_view kind) const {
    auto it = config_.tokens_by_kind.find(kind);
    return it == config_.tokens_by_kind.end() ? config_.default_tokens : it->second;
  }

  std::size_t tasks() const {
    std::lock_guard lk(m_);
    return tasks_.size();
  }

 private:
  friend class TaskTicket;

  struct Task {
    std::string kind;
    TaskUsage usage;
  };
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };

  Task fresh(std::string_view kind) const {
    Task t;
    t.kind = kind.empty() ? "default" : std::string(kind);
    t.usage.call_limit = call_limit(kind);
    t.usage.token_limit = token_limit(kind);
    return t;
  }

  void finish(const std::string& task_id, std::int64_t reserved, std::optional<std::int64_t> actual) noexcept {
    std::lock_guard lk(m_);
    auto it = tasks_.find(task_id);
    if (it == tasks_.end()) return;
    auto& u = it->second.usage;
    u.tokens_reserved = std::max<std::int64_t>(0, u.tokens_reserved - reserved);
    if (actual) u.tokens += std::max<std::int64_t>(0, *actual);
  }

  TaskBudgetConfig config_;
  mutable std::mutex m_;
  std::unordered_map<std::string, Task, Hash, std::equal_to<>> tasks_;
};

inline void TaskTicket::settle(std::int64_t actual_tokens) {
  if (!owner_) return;
  std::exchange(owner_, nullptr)->finish(task_, reserved_, actual_tokens);
}

inline void TaskTicket::release() noexcept {
  if (!owner_) return;
  std::exchange(owner_, nullptr)->finish(task_, reserved_, std::nullopt);
}

}  // namespace governed
