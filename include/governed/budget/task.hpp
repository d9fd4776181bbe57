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
/// Shared: made with a `SharedTasks` (a State whose `StateConfig::shared` is a Redis backend
/// gets one, see redis/tasks.hpp), each task's counts live in one store, so a task whose calls
/// are spread over replicas is still one task with one budget. The process keeps a copy of
/// what the store last said of each task it saw; while the store can not be reached, the
/// budgets follow the store's `SharedFailure`: refuse, or count on from that copy here (the
/// rest of the task's budget, not a 1/N share: a task mostly runs on one replica at a time).
///
/// ```cpp
/// governed::TaskBudgets budgets;                        // scraper 50, ..., default 20
/// auto t = budgets.begin_call("run-17", "scraper", 1200);
/// if (!t) return tl::unexpected(t.error());             // "Task run-17 (scraper) has used ..."
/// ... call ...
/// t->settle(usage.total());
/// ```

#include <governed/saturating.hpp>
#include <governed/providers/redact.hpp>
#include <governed/result.hpp>
#include <governed/shared_limits.hpp>

#include <fmt/format.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace governed {

/// The largest call or token budget a task may have: far above any real one (a million
/// calls of a billion tokens), and far enough below 2^63 that sums of budgets, usage and
/// estimates cannot wrap.
inline constexpr std::int64_t max_task_budget = 1'000'000'000'000'000;

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

  /// Every budget is in [0, `max_task_budget`] (0: the kind may make no call); the error
  /// names the kind.
  Result<void> validate() const {
    const auto in_range = [](std::int64_t v) { return v >= 0 && v <= max_task_budget; };
    for (const auto* by_kind : {&calls_by_kind, &tokens_by_kind})
      for (const auto& [kind, v] : *by_kind)
        if (!in_range(v))
          return fail(Errc::invalid_argument,
                      providers::redact(fmt::format("the {} budget of task kind {} must be in [0, {}]",
                                                    by_kind == &calls_by_kind ? "call" : "token", kind,
                                                    max_task_budget)));
    if (!in_range(default_calls))
      return fail(Errc::invalid_argument, fmt::format("the default call budget must be in [0, {}]", max_task_budget));
    if (default_tokens && !in_range(*default_tokens))
      return fail(Errc::invalid_argument, fmt::format("the default token budget must be in [0, {}]", max_task_budget));
    return {};
  }
};

/// What one task instance has used so far.
struct TaskUsage {
  std::int64_t calls = 0;
  std::int64_t call_limit = 0;
  std::int64_t tokens = 0;           ///< settled
  std::int64_t tokens_reserved = 0;  ///< held by calls in flight
  std::optional<std::int64_t> token_limit{};
};

/// What a shared store answers to a task's call: the task's usage as found (before this call;
/// its limits are the ones its first call fixed), and whether the call was counted.
struct SharedTaskDecision {
  bool admitted = false;
  std::string kind{};
  TaskUsage usage{};
};

/// The call and token counts of every task instance, kept outside the process.
class SharedTasks {
 public:
  virtual ~SharedTasks() = default;
  /// Counts one call of `task` and holds `tokens`, when the task has calls left and the
  /// tokens fit; the limits (and kind) given are kept on the task's first call.
  virtual Result<SharedTaskDecision> begin_call(std::string_view task, std::string_view kind, std::int64_t call_limit,
                                                std::optional<std::int64_t> token_limit, std::int64_t tokens) = 0;
  /// Gives back `reserved` held tokens and adds `actual` used ones; nobody waits for it.
  virtual void finish(std::string_view task, std::int64_t reserved, std::optional<std::int64_t> actual) noexcept = 0;
  /// The task's usage; empty when it has made no call.
  virtual Result<std::optional<TaskUsage>> usage(std::string_view task) = 0;
  /// Forgets the task; nobody waits for it.
  virtual void end(std::string_view task) noexcept = 0;
  virtual SharedFailure on_failure() const noexcept = 0;
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
      shared_ = o.shared_;
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
  TaskTicket(TaskBudgets* owner, std::string task, std::int64_t reserved, bool shared = false)
      : owner_(owner), task_(std::move(task)), reserved_(reserved), shared_(shared) {}
  inline void release() noexcept;

  TaskBudgets* owner_ = nullptr;
  std::string task_;
  std::int64_t reserved_ = 0;
  bool shared_ = false;  // counted in the shared store (else here)
};

/// Call and token budgets of every task instance. Thread-safe (one mutex; a call takes it
/// twice, at `begin_call` and at `settle`).
class TaskBudgets {
 public:
  explicit TaskBudgets(TaskBudgetConfig config = {}, std::shared_ptr<SharedTasks> shared = nullptr)
      : config_(std::move(config)), shared_(std::move(shared)) {}
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
    if (shared_) {
      auto d = shared_->begin_call(task_id, kind.empty() ? "default" : kind, call_limit(kind), token_limit(kind),
                                   estimated_tokens);
      if (d) {
        std::lock_guard lk(m_);
        auto it = tasks_.find(task_id);
        if (it == tasks_.end()) it = tasks_.emplace(std::string(task_id), fresh(kind)).first;
        Task& t = it->second;
        t.kind = d->kind;
        t.usage = d->usage;  // the copy the process counts on from while the store is away
        if (!d->admitted) return refusal(task_id, t, estimated_tokens);
        ++t.usage.calls;
        t.usage.tokens_reserved = detail::sat_add(t.usage.tokens_reserved, estimated_tokens);
        return TaskTicket{this, std::string(task_id), estimated_tokens, true};
      }
      if (shared_->on_failure() == SharedFailure::fail_closed)
        return fail(d.error().code == Errc::timed_out ? Errc::timed_out : Errc::io_error,
                    fmt::format("the shared task budgets can not be reached, and calls are refused until they can: {}",
                                d.error().message));
    }
    std::lock_guard lk(m_);
    auto it = tasks_.find(task_id);
    if (it == tasks_.end()) it = tasks_.emplace(std::string(task_id), fresh(kind)).first;
    Task& t = it->second;
    if (t.usage.calls >= t.usage.call_limit || !tokens_fit(t.usage, estimated_tokens))
      return refusal(task_id, t, estimated_tokens);
    ++t.usage.calls;
    t.usage.tokens_reserved = detail::sat_add(t.usage.tokens_reserved, estimated_tokens);
    return TaskTicket{this, std::string(task_id), estimated_tokens};
  }

  /// What task `task_id` has used; empty when it has made no call.
  std::optional<TaskUsage> usage(std::string_view task_id) const {
    if (shared_) {
      if (auto u = shared_->usage(task_id)) return *u;
    }
    std::lock_guard lk(m_);
    auto it = tasks_.find(task_id);
    if (it == tasks_.end()) return std::nullopt;
    return it->second.usage;
  }

  /// Forgets a finished task, so a long-running process does not keep every id it ever saw.
  /// A ticket still in flight for it settles into nothing.
  void end_task(std::string_view task_id) {
    if (shared_) shared_->end(task_id);
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

  /// Whether the counts live in a shared store.
  bool shared() const noexcept { return shared_ != nullptr; }

  /// Tasks this process has seen (and not ended).
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

  /// Whether `estimated` more tokens fit the task's token budget; sums saturate, so a huge
  /// estimate or usage is refused rather than wrapped into room.
  static bool tokens_fit(const TaskUsage& u, std::int64_t estimated) noexcept {
    if (!u.token_limit) return true;
    return detail::sat_add(detail::sat_add(u.tokens, u.tokens_reserved), estimated) <= *u.token_limit;
  }

  Task fresh(std::string_view kind) const {
    Task t;
    t.kind = kind.empty() ? "default" : std::string(kind);
    t.usage.call_limit = call_limit(kind);
    t.usage.token_limit = token_limit(kind);
    return t;
  }

  Result<TaskTicket> refusal(std::string_view task_id, const Task& t, std::int64_t estimated_tokens) const {
    if (t.usage.calls >= t.usage.call_limit)
      return fail(Errc::budget_exhausted,
                  providers::redact(fmt::format("Task {} ({}) has used all {} calls of its budget; it is stopped.",
                                                task_id, t.kind, t.usage.call_limit)));
    return fail(Errc::budget_exhausted,
                providers::redact(fmt::format("Task {} ({}) would exceed its budget of {} tokens ({} used, {} in flight, "
                                              "{} more needed); it is stopped.",
                                              task_id, t.kind, t.usage.token_limit.value_or(0), t.usage.tokens,
                                              t.usage.tokens_reserved, estimated_tokens)));
  }

  void finish(const std::string& task_id, std::int64_t reserved, std::optional<std::int64_t> actual,
              bool shared) noexcept {
    if (shared && shared_) shared_->finish(task_id, reserved, actual);
    std::lock_guard lk(m_);
    auto it = tasks_.find(task_id);
    if (it == tasks_.end()) return;
    auto& u = it->second.usage;
    u.tokens_reserved = std::max<std::int64_t>(0, u.tokens_reserved - reserved);
    if (actual) u.tokens = detail::sat_add(u.tokens, std::max<std::int64_t>(0, *actual));
  }

  TaskBudgetConfig config_;
  std::shared_ptr<SharedTasks> shared_;
  mutable std::mutex m_;
  std::unordered_map<std::string, Task, Hash, std::equal_to<>> tasks_;
};

inline void TaskTicket::settle(std::int64_t actual_tokens) {
  if (!owner_) return;
  std::exchange(owner_, nullptr)->finish(task_, reserved_, actual_tokens, shared_);
}

inline void TaskTicket::release() noexcept {
  if (!owner_) return;
  std::exchange(owner_, nullptr)->finish(task_, reserved_, std::nullopt, shared_);
}

}  // namespace governed
