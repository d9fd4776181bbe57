#pragma once
/// @file
/// `CallLogWriter`: every call as one line of JSON (observe/call_log.hpp) in a file, a
/// `std::ostream` or a `FILE*` — what Fluent Bit, Vector or the OpenTelemetry Collector tail.
///
/// The call pays for a copy, never for a write. The hook copies the record into a slot of a
/// bounded ring (its buffers reused, so a warm writer's hook does not allocate) under a lock
/// held for that copy only, and returns; a thread of the writer's own turns records into
/// lines, writes them and flushes. When the ring is full the record is dropped and counted
/// (`dropped()`): a slow disk never slows a call, and memory never grows. A failed write is
/// counted (`failed()`), kept (`last_error()`) and handed to `CallLogOptions::on_error` on the
/// writer's thread — never thrown into a call.
///
/// ```cpp
/// auto log = governed::CallLogWriter::open("calls.jsonl", {.secrets = secrets});
/// if (!log) return log.error();                      // cannot open: says which file and why
/// state->call_hook().install((*log)->hook());
/// ...
/// state->call_hook().install({});                    // before the writer goes
/// ```
///
/// A file is opened for appending and, when new, created with mode 0600 (a call log names
/// models, tasks and costs: not for every local user); a symbolic link or anything but a
/// regular file is refused. `flush(timeout)` waits, at most `timeout`, until what was queued
/// before it is written. The destructor writes what is still queued for at most
/// `CallLogOptions::drain_timeout`, drops (and counts) the rest, and joins its thread. The
/// hook holds only the ring, so a hook left installed after its writer is gone drops every
/// record instead of touching freed memory.

#include <governed/file/lock.hpp>
#include <governed/error.hpp>
#include <governed/observe/call_hook.hpp>
#include <governed/observe/call_log.hpp>
#include <governed/observe/owned_call_record.hpp>
#include <governed/result.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

namespace governed {

struct CallLogOptions {
  /// Records queued for the writer before new ones are dropped (at least 1). A slot is about
  /// 750 bytes on a 64-bit build, plus the buffers of the longest texts it has held: the
  /// default is under 1 MB and holds ten seconds of 100 calls a second while a disk stalls.
  std::size_t capacity = 1024;
  /// Removed verbatim from every line (a State's `secrets()`: keys without a recognisable
  /// shape would otherwise pass).
  std::vector<std::string> secrets{};
  /// How long the destructor keeps writing what is queued before it drops the rest.
  std::chrono::steady_clock::duration drain_timeout = std::chrono::seconds{5};
  /// Each failed write, on the writer's thread; what it throws is ignored.
  std::function<void(const Error&)> on_error{};
};

namespace detail {

/// The ring between the hook and the writer's thread, with the writer's counters. Every
/// member is guarded by one mutex; the hook holds it for one record's copy.
class CallLogQueue {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;

  explicit CallLogQueue(std::size_t capacity) : slots_(std::max<std::size_t>(capacity, 1)) {}

  /// Copies `r` into the ring; false (and counted) when the ring is full or closed.
  bool push(const CallRecord& r) noexcept {
    std::unique_lock lk(m_);
    if (closed_ || size_ == slots_.size()) {
      ++dropped_;
      return false;
    }
    try {
      slots_[(head_ + size_) % slots_.size()].assign(r);
    } catch (...) {  // out of memory: the record is lost, the call is not
      ++dropped_;
      return false;
    }
    ++size_;
    ++accepted_;
    const bool wake = writer_waiting_;
    lk.unlock();
    if (wake) work_.notify_one();
    return true;
  }

  /// For the writer: waits for records, then swaps up to `batch.size()` of them into `batch`
  /// (the ring gets the batch's buffers back). 0: closed and nothing left to write — or
  /// closed, past the drain deadline, and the rest dropped.
  std::size_t take(std::vector<OwnedCallRecord>& batch) {
    std::unique_lock lk(m_);
    writer_waiting_ = true;
    work_.wait(lk, [&] { return size_ > 0 || closed_; });
    writer_waiting_ = false;
    if (closed_ && (size_ == 0 || std::chrono::steady_clock::now() >= drain_deadline_)) {
      dropped_ += size_;
      processed_ += size_;
      size_ = 0;
      done_.notify_all();
      return 0;
    }
    const std::size_t n = std::min(size_, batch.size());
    for (std::size_t i = 0; i < n; ++i) {
      swap(batch[i], slots_[head_]);
      head_ = (head_ + 1) % slots_.size();
    }
    size_ -= n;
    return n;
  }

  /// For the writer: `written` lines reached the sink, `failed` were lost to an error.
  void done(std::uint64_t written, std::uint64_t failed) {
    {
      std::lock_guard lk(m_);
      written_ += written;
      failed_ += failed;
      processed_ += written + failed;
    }
    done_.notify_all();
  }

  /// Waits at most `timeout` until every record accepted before the call is processed.
  bool wait_processed(std::chrono::steady_clock::duration timeout) {
    std::unique_lock lk(m_);
    const std::uint64_t target = accepted_;
    return done_.wait_for(lk, timeout, [&] { return processed_ >= target; });
  }

  /// No record is accepted any more; the writer writes what is queued until `deadline`.
  void close(SteadyTime deadline) {
    {
      std::lock_guard lk(m_);
      closed_ = true;
      drain_deadline_ = deadline;
    }
    work_.notify_all();
  }

  struct Counts {
    std::uint64_t written, dropped, failed;
  };
  Counts counts() const {
    std::lock_guard lk(m_);
    return {written_, dropped_, failed_};
  }

 private:
  mutable std::mutex m_;
  std::condition_variable work_, done_;
  std::vector<OwnedCallRecord> slots_;
  std::size_t head_ = 0, size_ = 0;
  bool writer_waiting_ = false, closed_ = false;
  SteadyTime drain_deadline_{};
  std::uint64_t accepted_ = 0, processed_ = 0, written_ = 0, dropped_ = 0, failed_ = 0;
};

/// Where the writer's lines go. `write` is called on the writer's thread only and says why
/// it failed, if it did.
class CallLogSink {
 public:
  virtual ~CallLogSink() = default;
  virtual std::optional<std::string> write(std::string_view lines) noexcept = 0;
};

/// A file the writer opened: its own descriptor, written with write(2) (each write reaches
/// the kernel: nothing to flush in the process).
class FdSink final : public CallLogSink {
 public:
  FdSink(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  ~FdSink() override { ::close(fd_); }
  FdSink(const FdSink&) = delete;
  FdSink& operator=(const FdSink&) = delete;

  std::optional<std::string> write(std::string_view lines) noexcept override {
    while (!lines.empty()) {
      const ssize_t n = ::write(fd_, lines.data(), lines.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return fmt::format("cannot write the call log {}: {}", name_, errno_text(n < 0 ? errno : EIO));
      lines.remove_prefix(static_cast<std::size_t>(n));
    }
    return std::nullopt;
  }

 private:
  int fd_;
  std::string name_;
};

/// The caller's `FILE*`: written and flushed with stdio.
class StdioSink final : public CallLogSink {
 public:
  explicit StdioSink(std::FILE* f) : f_(f) {}
  std::optional<std::string> write(std::string_view lines) noexcept override {
    if (std::fwrite(lines.data(), 1, lines.size(), f_) != lines.size() || std::fflush(f_) != 0) {
      const int e = errno;
      std::clearerr(f_);
      return fmt::format("cannot write the call log: {}", errno_text(e ? e : EIO));
    }
    return std::nullopt;
  }

 private:
  std::FILE* f_;
};

/// The caller's `std::ostream`: written and flushed; a failed stream is cleared so the next
/// batch tries again.
class StreamSink final : public CallLogSink {
 public:
  explicit StreamSink(std::ostream& out) : out_(out) {}
  std::optional<std::string> write(std::string_view lines) noexcept override {
    try {
      out_.write(lines.data(), static_cast<std::streamsize>(lines.size()));
      out_.flush();
      if (out_) return std::nullopt;
      out_.clear();
    } catch (...) {  // a stream with exceptions enabled
      try {
        out_.clear();
      } catch (...) {
      }
    }
    return std::string("cannot write the call log: the output stream failed");
  }

 private:
  std::ostream& out_;
};

}  // namespace detail

class CallLogWriter {
 public:
  /// Appends to the file at `path`, creating it with mode 0600. An error (`io_error`) names
  /// the file and the reason when it can not be opened or is not a regular file.
  static Result<std::unique_ptr<CallLogWriter>> open(const std::filesystem::path& path, CallLogOptions options = {}) {
    const int fd = detail::open_regular_file(path, O_WRONLY | O_APPEND | O_CREAT, 0600);
    if (fd < 0) return fail(Errc::io_error, "call log: " + detail::open_refusal(path, errno));
    return start(std::make_unique<detail::FdSink>(fd, path.string()), std::move(options));
  }
  /// Writes to `out`, which must outlive the writer and which nothing else writes meanwhile.
  static Result<std::unique_ptr<CallLogWriter>> to_stream(std::ostream& out, CallLogOptions options = {}) {
    return start(std::make_unique<detail::StreamSink>(out), std::move(options));
  }
  /// Writes to `out` (stdout, a file the caller opened), which must outlive the writer.
  static Result<std::unique_ptr<CallLogWriter>> to_file(std::FILE* out, CallLogOptions options = {}) {
    if (!out) return fail(Errc::invalid_argument, "call log: the FILE* to write to is null");
    return start(std::make_unique<detail::StdioSink>(out), std::move(options));
  }

  CallLogWriter(const CallLogWriter&) = delete;
  CallLogWriter& operator=(const CallLogWriter&) = delete;

  /// Writes what is queued for at most `drain_timeout`, drops the rest, joins the thread.
  ~CallLogWriter() {
    queue_->close(std::chrono::steady_clock::now() + options_.drain_timeout);
    if (thread_.joinable()) thread_.join();
  }

  /// The call hook: `state->call_hook().install(writer->hook())`.
  CallObserver hook() const {
    return [q = queue_](const CallRecord& r) { q->push(r); };
  }

  /// What the hook does: queues `r`, or drops and counts it when the queue is full. Never
  /// blocks longer than another thread's copy of one record; never writes.
  bool push(const CallRecord& r) noexcept { return queue_->push(r); }

  /// Waits at most `timeout` until every record queued before this call is written (or its
  /// write failed); false when the time ran out first.
  bool flush(std::chrono::steady_clock::duration timeout = std::chrono::seconds{5}) {
    return queue_->wait_processed(timeout);
  }

  /// Lines written.
  std::uint64_t written() const { return queue_->counts().written; }
  /// Records dropped because the queue was full (or the writer was closing).
  std::uint64_t dropped() const { return queue_->counts().dropped; }
  /// Lines lost to failed writes.
  std::uint64_t failed() const { return queue_->counts().failed; }
  /// The latest write error, if any write failed.
  std::optional<Error> last_error() const {
    std::lock_guard lk(error_m_);
    return last_error_;
  }

 private:
  /// Records the writer turns into lines per write: one write(2) and one flush per batch.
  static constexpr std::size_t batch_size = 64;

  CallLogWriter(std::unique_ptr<detail::CallLogSink> sink, CallLogOptions options)
      : options_(std::move(options)),
        sink_(std::move(sink)),
        queue_(std::make_shared<detail::CallLogQueue>(options_.capacity)) {}

  static Result<std::unique_ptr<CallLogWriter>> start(std::unique_ptr<detail::CallLogSink> sink,
                                                      CallLogOptions options) {
    std::unique_ptr<CallLogWriter> w(new CallLogWriter(std::move(sink), std::move(options)));
    try {
      w->thread_ = std::thread([p = w.get()] { p->run(); });
    } catch (const std::system_error& e) {
      return fail(Errc::io_error, std::string("call log: cannot start the writer's thread: ") + e.what());
    }
    return w;
  }

  void run() {
    std::vector<OwnedCallRecord> batch(batch_size);
    std::string lines;
    while (const std::size_t n = queue_->take(batch)) {
      lines.clear();
      std::uint64_t unserialisable = 0;
      for (std::size_t i = 0; i < n; ++i) {
        try {
          lines += call_json_line(batch[i].view(), options_.secrets);
        } catch (...) {  // out of memory: this line is lost, the rest are written
          ++unserialisable;
        }
      }
      const std::uint64_t lines_in_batch = n - unserialisable;
      if (auto why = lines.empty() ? std::nullopt : sink_->write(lines)) {
        report(Error{Errc::io_error, std::move(*why), std::nullopt});  // before a flush returns
        queue_->done(0, n);
      } else {
        queue_->done(lines_in_batch, unserialisable);
      }
    }
  }

  void report(Error e) noexcept {
    try {
      {
        std::lock_guard lk(error_m_);
        last_error_ = e;
      }
      if (options_.on_error) options_.on_error(e);
    } catch (...) {  // the callback's failure is not the writer's
    }
  }

  CallLogOptions options_;
  std::unique_ptr<detail::CallLogSink> sink_;
  std::shared_ptr<detail::CallLogQueue> queue_;
  mutable std::mutex error_m_;
  std::optional<Error> last_error_;
  std::thread thread_;
};

}  // namespace governed
