#pragma once
/// @file
/// An incremental parser for server-sent events (the WHATWG "event stream" format), as the
/// providers stream their answers: bytes in, in whatever pieces the socket hands over; whole
/// events out.
///
/// Lines end in CRLF, LF or a lone CR — a CRLF split across two reads is one line end, not
/// two. `data:` lines of one event are joined with "\n"; `:` lines are comments (providers
/// send them as keep-alives); a blank line ends the event; an event without data is dropped,
/// as the standard says. A leading byte-order mark is skipped.
///
/// Memory is bounded: a line or an event's data above `max_event_bytes` is an error, not a
/// growing buffer, so a server that never sends a line end can not exhaust the client.
///
/// ```cpp
/// wire::SseParser p;
/// auto ok = p.feed("data: {\"a\":1}\n\nda", [](const wire::SseEvent& e) { use(e.data); });
/// ok = p.feed("ta: [DONE]\n\n", on_event);  // the rest of the second event
/// ```

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

namespace governed::wire {

/// One dispatched event. Views into the parser: valid during the callback only.
struct SseEvent {
  std::string_view event;  ///< the `event:` field ("message" when absent)
  std::string_view data;   ///< the `data:` lines, joined by "\n"
  std::string_view id;     ///< the last `id:` field seen
};

class SseParser {
 public:
  /// 4 MiB: the largest event a provider sends is one chunk of a long tool call's arguments
  /// (kilobytes); anything near the limit is not a provider speaking.
  static constexpr std::size_t default_max_event_bytes = std::size_t{4} << 20;

  explicit SseParser(std::size_t max_event_bytes = default_max_event_bytes) noexcept
      : max_(max_event_bytes) {}

  /// Why the stream stopped being parseable; none while it is.
  enum class Status : std::uint8_t { ok, too_large };

  /// Parses `bytes`, calling `on_event(const SseEvent&)` for each event completed. Returns
  /// `ok`, or `too_large` once a line or event exceeds the limit (the parser then stays
  /// failed and ignores further input). `on_event` returning `false` (when it returns bool)
  /// stops parsing at once; `feed` then returns `ok` and the rest of `bytes` is dropped.
  template <class OnEvent>
  Status feed(std::string_view bytes, OnEvent&& on_event) {
    if (status_ != Status::ok) return status_;
    std::size_t i = 0;
    if (!started_ && !bytes.empty()) {
      // A byte-order mark may arrive split across reads: hold its first bytes until decided.
      while (i < bytes.size() && bom_seen_ < 3) {
        static constexpr unsigned char bom[3] = {0xEF, 0xBB, 0xBF};
        if (static_cast<unsigned char>(bytes[i]) != bom[bom_seen_]) break;
        ++bom_seen_;
        ++i;
      }
      if (bom_seen_ < 3 && i == bytes.size()) return status_;  // all of it may be a BOM so far
      if (bom_seen_ > 0 && bom_seen_ < 3) {
        // Not a BOM after all: the held bytes are ordinary input.
        static constexpr char partial[3] = {'\xEF', '\xBB', '\xBF'};
        line_.append(partial, bom_seen_);
      }
      started_ = true;
    }
    while (i < bytes.size()) {
      const char c = bytes[i];
      if (after_cr_) {
        after_cr_ = false;
        if (c == '\n') {  // the LF of a CRLF whose CR ended the previous line
          ++i;
          continue;
        }
      }
      // Take the run of ordinary bytes up to the next line end in one append.
      std::size_t j = i;
      while (j < bytes.size() && bytes[j] != '\n' && bytes[j] != '\r') ++j;
      if (j > i) {
        if (line_.size() + (j - i) > max_) return fail();
        line_.append(bytes.data() + i, j - i);
        i = j;
        continue;
      }
      after_cr_ = c == '\r';
      ++i;
      if (!line(on_event)) return status_;
    }
    return status_;
  }

  /// Drops any partial line and event (a reconnect, a new stream).
  void reset() noexcept {
    line_.clear();
    data_.clear();
    event_.clear();
    has_data_ = after_cr_ = started_ = false;
    bom_seen_ = 0;
    status_ = Status::ok;
  }

  /// Whether input has begun an event that no blank line has ended yet: at the end of a
  /// stream, a half event is a truncated one.
  bool pending() const noexcept { return !line_.empty() || has_data_; }

  std::size_t max_event_bytes() const noexcept { return max_; }

 private:
  Status fail() noexcept {
    status_ = Status::too_large;
    line_.clear();
    data_.clear();
    return status_;
  }

  /// One complete line in `line_`. Returns false when parsing must stop.
  template <class OnEvent>
  bool line(OnEvent& on_event) {
    if (line_.empty()) return dispatch(on_event);
    const std::string_view l = line_;
    if (l.front() == ':') {  // a comment
      line_.clear();
      return true;
    }
    const auto colon = l.find(':');
    const std::string_view field = l.substr(0, colon);
    std::string_view value = colon == std::string_view::npos ? std::string_view{} : l.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (field == "data") {
      if (data_.size() + value.size() + 1 > max_) {
        fail();
        return false;
      }
      data_.append(value);
      data_.push_back('\n');
      has_data_ = true;
    } else if (field == "event") {
      event_.assign(value);
    } else if (field == "id") {
      if (value.find('\0') == std::string_view::npos) id_.assign(value);
    }
    // `retry` and unknown fields are ignored: a client that does not reconnect has no use
    // for them.
    line_.clear();
    return true;
  }

  template <class OnEvent>
  bool dispatch(OnEvent& on_event) {
    if (!has_data_) {
      event_.clear();
      return true;
    }
    data_.pop_back();  // the "\n" after the last data line
    const SseEvent e{event_.empty() ? std::string_view("message") : std::string_view(event_), data_, id_};
    bool go_on = true;
    if constexpr (std::is_same_v<decltype(on_event(e)), bool>) go_on = on_event(e);
    else on_event(e);
    data_.clear();
    event_.clear();
    has_data_ = false;
    return go_on;
  }

  std::string line_, data_, event_, id_;
  std::size_t max_;
  std::uint8_t bom_seen_ = 0;
  bool has_data_ = false, after_cr_ = false, started_ = false;
  Status status_ = Status::ok;
};

}  // namespace governed::wire
