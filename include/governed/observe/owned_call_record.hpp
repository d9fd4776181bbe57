#pragma once
/// @file
/// `OwnedCallRecord`: a `CallRecord` that owns its text, for a call hook that keeps a record
/// past the hook's return (a queue, a batch for an exporter).
///
/// `assign` copies into the strings and vectors the object already has, so an object that is
/// reused — a slot of a ring buffer — stops allocating once its buffers have grown to the
/// size of the records passing through: copying a record is then a handful of memcpy.

#include <governed/observe/stats.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace governed {

class OwnedCallRecord {
 public:
  OwnedCallRecord() = default;
  explicit OwnedCallRecord(const CallRecord& r) { assign(r); }

  /// Copies `r`, reusing this object's buffers.
  void assign(const CallRecord& r) {
    plain_ = r;
    provider_.assign(r.provider);
    model_.assign(r.model);
    task_.assign(r.task);
    error_message_.assign(r.error_message);
    key_fingerprint_.assign(r.key_fingerprint);
    request_provider_.assign(r.request_provider);
    request_model_.assign(r.request_model);
    task_id_.assign(r.task_id);
    keys_.resize(r.keys.size());
    for (std::size_t i = 0; i < r.keys.size(); ++i) keys_[i].assign(r.keys[i]);
    hops_.resize(r.hops.size());
    for (std::size_t i = 0; i < r.hops.size(); ++i) {
      hops_[i].provider.assign(r.hops[i].provider);
      hops_[i].model.assign(r.hops[i].model);
      hops_[i].reason.assign(r.hops[i].reason);
    }
  }

  /// The record, its views into this object: valid until this object is assigned, swapped,
  /// moved or destroyed.
  const CallRecord& view() {
    CallRecord& r = plain_;
    r.provider = provider_;
    r.model = model_;
    r.task = task_;
    r.error_message = error_message_;
    r.key_fingerprint = key_fingerprint_;
    r.request_provider = request_provider_;
    r.request_model = request_model_;
    r.task_id = task_id_;
    key_views_.assign(keys_.begin(), keys_.end());
    r.keys = key_views_;
    hop_views_.resize(hops_.size());
    for (std::size_t i = 0; i < hops_.size(); ++i) hop_views_[i] = {hops_[i].provider, hops_[i].model, hops_[i].reason};
    r.hops = hop_views_;
    return r;
  }

  friend void swap(OwnedCallRecord& a, OwnedCallRecord& b) noexcept {
    using std::swap;
    swap(a.plain_, b.plain_);
    swap(a.provider_, b.provider_);
    swap(a.model_, b.model_);
    swap(a.task_, b.task_);
    swap(a.error_message_, b.error_message_);
    swap(a.key_fingerprint_, b.key_fingerprint_);
    swap(a.request_provider_, b.request_provider_);
    swap(a.request_model_, b.request_model_);
    swap(a.task_id_, b.task_id_);
    swap(a.keys_, b.keys_);
    swap(a.hops_, b.hops_);
    swap(a.key_views_, b.key_views_);
    swap(a.hop_views_, b.hop_views_);
  }

 private:
  struct Hop {
    std::string provider, model, reason;
  };
  // The numbers are kept in a CallRecord whose views `view()` points at the strings below;
  // until then they may point at the copied record's text and are never read.
  CallRecord plain_{};
  std::string provider_, model_, task_, error_message_, key_fingerprint_, request_provider_, request_model_, task_id_;
  std::vector<std::string> keys_;
  std::vector<Hop> hops_;
  std::vector<std::string_view> key_views_;
  std::vector<FallbackHop> hop_views_;
};

}  // namespace governed
