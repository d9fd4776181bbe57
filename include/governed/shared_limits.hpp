#pragma once
/// @file
/// `SharedLimits` and `SharedBackend`: limit sets kept outside the process, so that several
/// processes (replicas of one service, hosts behind one provider account) count against one
/// limit instead of each against its own.
///
/// A `State` made with `StateConfig::shared` (see `redis::backend`) gives each of its limit
/// sets a `SharedLimits` for the rate dimensions; concurrency and launch stagger stay per
/// process. The set also keeps a local limiter holding 1/N of each limit (N = the configured
/// replica count), which admits in the backend's place while it can not be reached, when the
/// backend's policy is `SharedFailure::fail_open`.
///
/// A backend may also keep the State's budgets and statistics (`spend`, `tasks`, `stats`), so
/// that a budget is one budget across the processes, and share what one process finds about
/// keys and models (`health`: a rejected key, a model given up on); a backend that does not
/// leaves them in each process.

#include <governed/continuation.hpp>
#include <governed/limit_key.hpp>
#include <governed/limiter/limit.hpp>
#include <governed/result.hpp>
#include <governed/time.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>

namespace governed {

class SharedSpend;
class SharedTasks;
class SharedStats;
struct Response;
template <class Value>
class BasicSharedCache;
using SharedCache = BasicSharedCache<Response>;  // cache.hpp
class SharedHealth;

/// What a limit set does while its shared store can not be reached.
enum class SharedFailure : std::uint8_t {
  /// Admit against the local limiter holding 1/N of each limit (N replicas), and go back to
  /// the shared store when it answers again.
  fail_open,
  /// Refuse the call with an error saying the shared limits can not be reached.
  fail_closed,
};

/// The shared store's answer to one admission. Stamps and epochs are the store's own and mean
/// nothing locally: they come back with `reconcile`.
struct SharedDecision {
  /// `bound` when no rate dimension refused but the target itself (it is cooling down).
  static constexpr std::size_t target = SIZE_MAX;
  bool admitted = false;
  std::size_t bound = 0;  ///< the rate dimension (index) that refused with the longest wait
  Duration retry_after{0};
  std::array<std::int64_t, 6> stamps{};
  std::array<std::int64_t, 6> epochs{};
  /// Cells each rate dimension could take at once after this decision (UINT64_MAX: no limit).
  std::array<std::uint64_t, 6> available{};
  /// Refused because another process found the account's allowance here spent (a daily quota,
  /// billing): until then (wall clock) no call is admitted on this set.
  std::optional<WallTime> exhausted_until{};
};

/// The rate dimensions of one limit set, kept in a shared store.
class SharedLimits {
 public:
  virtual ~SharedLimits() = default;
  /// Takes `cells[d]` from every rate dimension `d` at once, or from none. `now` and `wall` are
  /// the caller's clock; a store that keeps its own time (a real-time clock) ignores them.
  virtual Result<SharedDecision> admit(const std::array<std::uint64_t, 6>& cells, Instant now, WallTime wall) = 0;
  /// The decision of an `async_admit`, and the caller's executor it runs on.
  using DecisionHandler = Continuation<Result<SharedDecision>>;
  /// As `admit`, without blocking the calling thread: `done` runs with the decision on its
  /// executor, never inside this call. This default decides here, blocking, and posts the
  /// decision; a store that can ask without blocking (redis::SharedLimitSet) does.
  virtual void async_admit(const std::array<std::uint64_t, 6>& cells, Instant now, WallTime wall,
                           DecisionHandler done) {
    std::move(done).post(admit(cells, now, wall));
  }
  /// Gives back (`was > is`) or takes more (`is > was`) of an admission's cells, per dimension.
  /// It may travel with later traffic: nobody waits for it.
  virtual void reconcile(const SharedDecision& admitted, const std::array<std::uint64_t, 6>& was,
                         const std::array<std::uint64_t, 6>& is, Instant now) = 0;
  /// Adopts a provider's own count of dimension `d` (see `limiter::gcra::sync`).
  virtual void sync(std::size_t d, std::uint64_t remaining, Duration reset_after, Instant now) = 0;
  /// Records that the provider said the allowance behind this set is spent until `until` (wall
  /// clock; `wall` is now on the caller's clock): every process's next admission on it is
  /// refused with `exhausted_until`.
  virtual void exhaust(WallTime until, WallTime wall) = 0;
  /// Records that the target behind this set backed off until `until` (wall clock; `wall` is
  /// now): every process's admissions on it are refused with that wait meanwhile.
  virtual void cool(WallTime until, WallTime wall) = 0;
  /// How soon the store may answer again after it could not be reached (its reconnect
  /// backoff): what a request only the store can admit — above this process's 1/N share, within
  /// the published limit — is told to wait while the set fails open.
  virtual Duration reconnect_wait() const noexcept { return std::chrono::milliseconds{100}; }
};

/// Makes the `SharedLimits` of each limit set.
class SharedBackend {
 public:
  virtual ~SharedBackend() = default;
  /// The shared limits of the set `key`, whose rate dimensions run `plan` (GCRA limits of the
  /// published limits with the set's headroom). `real_time`: the State's clock is real time,
  /// so the store may use its own clock, the one all processes share; otherwise (a manual or
  /// scaled clock) the caller's instants are the time.
  virtual Result<std::unique_ptr<SharedLimits>> limits(const LimitKey& key,
                                                       const std::array<std::optional<limiter::Limit>, 6>& plan,
                                                       bool real_time) = 0;
  /// How many processes share the limits: the local fallback holds 1/N of each.
  virtual unsigned replicas() const noexcept = 0;
  virtual SharedFailure on_failure() const noexcept = 0;
  /// The store of the State's USD spend budget (see budget/spend.hpp); null: in the process.
  virtual std::shared_ptr<SharedSpend> spend() { return nullptr; }
  /// The store of the State's task budgets (see budget/task.hpp); null: in the process.
  virtual std::shared_ptr<SharedTasks> tasks() { return nullptr; }
  /// Where the State's statistics are also totalled across processes (see observe/stats.hpp);
  /// null: nowhere.
  virtual std::shared_ptr<SharedStats> stats() { return nullptr; }
  /// The store of the State's response cache (see cache.hpp); null: in the process.
  virtual std::shared_ptr<SharedCache> cache() { return nullptr; }
  /// Where the State tells the keys its calls found rejected and the models they gave up on,
  /// and learns the others' (see shared_health.hpp); null: each process finds out alone.
  virtual std::shared_ptr<SharedHealth> health() { return nullptr; }
};

}  // namespace governed
