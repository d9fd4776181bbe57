#pragma once
/// @file
/// Token estimation before a call, and its calibration from what providers report after.
///
/// A tokens-per-minute limit is admitted before the reply says what the request cost, so the
/// governor estimates: letters per token for the model's tokenizer (5.5 on OpenAI's o200k,
/// about 4.4 on Claude's), weights for digits, punctuation and other scripts, the chat
/// format's overhead per message and per reply, and `n × max_tokens` for the completion,
/// which providers reserve up front. An estimate that errs high costs a little throughput;
/// one that errs low costs a 429.
///
/// `ModelCalibration` learns one model's correction from `usage.prompt_tokens`: it tracks the
/// 90th percentile of actual/estimate over the last replies, not the mean, because an estimate
/// that is low half the time still triggers tokens-per-minute 429s half the time. A `State`
/// holds one per model of its table and multiplies every call's prompt estimate by it;
/// `Calibration` keeps them by model name for callers outside a State.

#include <governed/providers/table.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>

namespace governed::providers {

/// One chat message as the estimator sees it.
struct ChatMessage {
  std::string_view role;
  std::string_view content;
  std::string_view name{};
};

struct TokenEstimate {
  std::int64_t prompt = 0;
  std::int64_t completion = 0;  ///< n × max_tokens: what the provider reserves
  std::int64_t total() const noexcept { return prompt + completion; }
};

/// Tokens in a text, by character class: ASCII letters at `letters_per_token` (words merge
/// into few tokens), digits at half a token (tokenizers split numbers into groups of up to
/// three), punctuation at 0.6 (brackets, quotes and operators are mostly tokens of their own:
/// code and JSON cost more than prose), whitespace at 0.2, and one token per non-ASCII
/// character. The weights were fitted on a sample of prose, code, JSON error bodies and six
/// languages against OpenAI's tokenizers (tests/providers/data/token_sample.jsonl).
inline double text_tokens(std::string_view text, double letters_per_token) noexcept {
  // Every byte's class from one table rather than a chain of tests: every call estimates its
  // whole prompt, and prompts run to many kilobytes.
  enum : std::uint8_t { letter, digit, space, punct, lead, continuation, classes };
  static constexpr std::array<std::uint8_t, 256> class_of = [] {
    std::array<std::uint8_t, 256> t{};
    for (std::size_t c = 0; c < 256; ++c) {
      if (c >= 0xC0) t[c] = lead;  // the lead byte of a multi-byte character
      else if (c >= 0x80) t[c] = continuation;
      else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') t[c] = letter;
      else if (c >= '0' && c <= '9') t[c] = digit;
      else if (c == ' ' || c == '\n' || c == '\t' || c == '\r') t[c] = space;
      else t[c] = punct;
    }
    return t;
  }();
  std::array<std::size_t, classes> n{};
  for (unsigned char c : text) ++n[class_of[c]];
  return static_cast<double>(n[letter]) / letters_per_token + 0.5 * static_cast<double>(n[digit]) +
         0.6 * static_cast<double>(n[punct]) + 0.2 * static_cast<double>(n[space]) + static_cast<double>(n[lead]);
}

/// The prompt's tokens: each message's text, role and name, the per-message framing, and the
/// tokens that prime the reply. `Messages` is any range of messages with a `role` and a
/// `content` (and a `name`, when they have one): `ChatMessage`s, or a `Request`'s own messages,
/// read where they are.
template <class Messages>
std::int64_t estimate_prompt(const EstimateParams& p, const Messages& messages) noexcept {
  double t = p.tokens_per_reply;
  for (const auto& m : messages) {
    t += p.tokens_per_message + std::ceil(text_tokens(m.content, p.letters_per_token)) +
         std::ceil(text_tokens(m.role, p.letters_per_token));
    if constexpr (requires { m.name; }) {
      if (!m.name.empty()) t += 1 + std::ceil(text_tokens(m.name, p.letters_per_token));
    }
  }
  return static_cast<std::int64_t>(t);
}
inline std::int64_t estimate_prompt(const EstimateParams& p, std::span<const ChatMessage> messages) noexcept {
  return estimate_prompt<std::span<const ChatMessage>>(p, messages);
}

/// The whole request: prompt plus `n × max_tokens`.
template <class Messages>
TokenEstimate estimate_request(const EstimateParams& p, const Messages& messages, std::int64_t max_tokens,
                               std::int64_t n = 1) noexcept {
  return {estimate_prompt(p, messages), std::max<std::int64_t>(0, max_tokens) * std::max<std::int64_t>(1, n)};
}
inline TokenEstimate estimate_request(const EstimateParams& p, std::span<const ChatMessage> messages,
                                      std::int64_t max_tokens, std::int64_t n = 1) noexcept {
  return estimate_request<std::span<const ChatMessage>>(p, messages, max_tokens, n);
}

/// How a calibration learns: which upper quantile of actual/estimate it tracks (0.9: the 90th
/// percentile), over how many recent replies (at most `ModelCalibration::capacity`), and below
/// how many samples it takes the largest ratio seen instead (a quantile of three is noise).
struct CalibrationSettings {
  double quantile = 0.9;
  std::size_t window = 128;
  std::size_t min_samples = 8;
};

/// One model's correction of the prompt estimate from real usage. Reading the factor is one
/// relaxed atomic load, so every call can afford it; recording a reply takes a flag as a lock
/// (one atomic exchange: a call that records its reply takes nothing heavier) and allocates
/// nothing (a fixed ring of ratios, the quantile found on a copy on the stack).
class ModelCalibration {
 public:
  /// The most replies a window holds: 128 ratios, 1 KiB.
  static constexpr std::size_t capacity = 128;

  explicit ModelCalibration(CalibrationSettings s = {}) noexcept { configure(s); }
  ModelCalibration(const ModelCalibration&) = delete;
  ModelCalibration& operator=(const ModelCalibration&) = delete;

  /// Sets how it learns, clamped to what it can do (quantile 0.5..1, window 1..capacity);
  /// before any reply is recorded, on one thread.
  void configure(CalibrationSettings s) noexcept {
    quantile_ = std::clamp(s.quantile, 0.5, 1.0);
    window_ = std::clamp<std::size_t>(s.window, 1, capacity);
    min_samples_ = std::max<std::size_t>(s.min_samples, 1);
  }

  /// The multiplier for the model's prompt estimates: 1 until it has seen a reply. Relaxed:
  /// the factor is a hint read by every call, and one call more on the previous factor is harmless.
  double factor() const noexcept { return factor_.load(std::memory_order_relaxed); }

  /// `estimate` corrected, rounded up.
  std::int64_t adjust(std::int64_t estimate) const noexcept {
    return static_cast<std::int64_t>(std::ceil(static_cast<double>(estimate) * factor()));
  }

  /// Records one reply: what was estimated for the prompt (before any correction) and what the
  /// provider counted, and works the factor out again. Waits for a reply being recorded on
  /// another thread.
  void observe(std::int64_t estimated, std::int64_t actual) noexcept {
    if (estimated <= 0 || actual < 0) return;
    const Held held = take(busy_);
    add(static_cast<double>(actual) / static_cast<double>(estimated));
    factor_.store(compute(), std::memory_order_relaxed);
  }

  /// The same for the call path, where no call should queue behind another's bookkeeping:
  /// when another thread is recording a reply of this model, this one is skipped and false
  /// returned (a window of 128 replies loses nothing by missing one). Once the window has
  /// `min_samples`, the factor is worked out again every `recompute_every`-th reply (or every
  /// window, when that is shorter): finding the quantile of 128 ratios costs about as much
  /// as the rest of a governed call, and a 90th percentile moves only after a tenth of the
  /// window has changed anyway.
  bool try_observe(std::int64_t estimated, std::int64_t actual) noexcept {
    if (estimated <= 0 || actual < 0) return true;
    const Held held = try_take(busy_);
    if (!held) return false;
    add(static_cast<double>(actual) / static_cast<double>(estimated));
    if (count_ <= min_samples_ || ++since_computed_ >= std::min(recompute_every, window_)) {
      since_computed_ = 0;
      factor_.store(compute(), std::memory_order_relaxed);
    }
    return true;
  }

  /// How often `try_observe` works the factor out again, in replies.
  static constexpr std::size_t recompute_every = 16;

  /// Replies in the window.
  std::size_t samples() const {
    const Held held = take(busy_);
    return count_;
  }

 private:
  /// `busy_` held for a scope: taken by exchanging it to true (acquire), given back by storing
  /// false (release). A holder works on at most 128 numbers, so `take` spins (yielding) no
  /// longer than that; `try_take` never waits and holds nothing when the flag was taken.
  struct [[nodiscard]] Held {
    std::atomic<bool>* flag;
    explicit Held(std::atomic<bool>* f) noexcept : flag(f) {}
    Held(const Held&) = delete;
    Held& operator=(const Held&) = delete;
    ~Held() {
      if (flag) flag->store(false, std::memory_order_release);
    }
    explicit operator bool() const noexcept { return flag != nullptr; }
  };
  static Held take(std::atomic<bool>& flag) noexcept {
    while (flag.exchange(true, std::memory_order_acquire)) std::this_thread::yield();
    return Held{&flag};
  }
  static Held try_take(std::atomic<bool>& flag) noexcept {
    return Held{flag.exchange(true, std::memory_order_acquire) ? nullptr : &flag};
  }

  /// The caller holds `busy_`.
  void add(double ratio) noexcept {
    ratios_[next_] = ratio;
    if (++next_ == window_) next_ = 0;
    count_ = std::min(count_ + 1, window_);
  }

  double compute() const noexcept {
    std::array<double, capacity> r;
    std::copy_n(ratios_.begin(), count_, r.begin());
    const auto end = r.begin() + static_cast<std::ptrdiff_t>(count_);
    double f;
    if (count_ < min_samples_) {
      f = std::max(1.0, *std::max_element(r.begin(), end));
    } else {
      const auto k = static_cast<std::size_t>(std::ceil(quantile_ * static_cast<double>(count_))) - 1;
      std::nth_element(r.begin(), r.begin() + static_cast<std::ptrdiff_t>(k), end);
      f = r[k];
    }
    // A tokenizer is never off by more than this; beyond it the sample is a reporting error.
    return std::clamp(f, 0.25, 8.0);
  }

  mutable std::atomic<bool> busy_{false};
  std::array<double, capacity> ratios_{};
  std::size_t next_ = 0, count_ = 0, since_computed_ = 0;
  double quantile_ = 0.9;
  std::size_t window_ = capacity;
  std::size_t min_samples_ = 8;
  std::atomic<double> factor_{1.0};
};

/// Per-model correction of the prompt estimate from real usage, for models named by the
/// caller (a `State` holds one `ModelCalibration` per model of its table instead, found
/// without a name). Thread-safe.
class Calibration {
 public:
  /// `quantile`: which upper quantile of actual/estimate to track (0.9 = the 90th
  /// percentile); `window`: how many recent replies per model (at most
  /// `ModelCalibration::capacity`); `min_samples`: below this the factor is the largest ratio
  /// seen (at least 1), because a quantile of three samples is noise.
  explicit Calibration(double quantile = 0.9, std::size_t window = ModelCalibration::capacity,
                       std::size_t min_samples = 8)
      : settings_{quantile, window, min_samples} {}

  /// Records one reply: what was estimated for the prompt and what the provider counted.
  void observe(std::string_view model, std::int64_t estimated, std::int64_t actual) {
    if (estimated <= 0 || actual < 0) return;
    ModelCalibration* c;
    {
      std::lock_guard lk(m_);
      auto it = models_.find(model);
      if (it == models_.end())
        it = models_.emplace(std::string(model), std::make_unique<ModelCalibration>(settings_)).first;
      c = it->second.get();
    }
    c->observe(estimated, actual);  // entries are never removed: the pointer stays valid
  }

  /// The multiplier for this model's estimates (1 until it has seen a reply).
  double factor(std::string_view model) const {
    std::lock_guard lk(m_);
    auto it = models_.find(model);
    return it == models_.end() ? 1.0 : it->second->factor();
  }

  /// `estimate` corrected for this model, rounded up.
  std::int64_t adjust(std::string_view model, std::int64_t estimate) const {
    return static_cast<std::int64_t>(std::ceil(static_cast<double>(estimate) * factor(model)));
  }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };

  CalibrationSettings settings_;
  mutable std::mutex m_;
  std::unordered_map<std::string, std::unique_ptr<ModelCalibration>, Hash, std::equal_to<>> models_;
};

}  // namespace governed::providers
