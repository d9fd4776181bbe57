#pragma once
/// @file
/// Observability: events to an installed observer, alerts, statistics per model, provider and
/// task with latency histograms, their JSON and Prometheus exports, one record per call to a
/// call hook, and one JSON line per call written off the caller's thread.

#include <governed/observe/alerts.hpp>
#include <governed/observe/call_hook.hpp>
#include <governed/observe/call_log.hpp>
#include <governed/observe/call_log_writer.hpp>
#include <governed/observe/event.hpp>
#include <governed/observe/export.hpp>
#include <governed/observe/histogram.hpp>
#include <governed/observe/owned_call_record.hpp>
#include <governed/observe/stats.hpp>
