#pragma once
/// @file
/// Observability: events to an installed observer, statistics per model, provider and task
/// with latency histograms, their JSON and Prometheus exports, and one JSON line per call.

#include <governed/observe/call_log.hpp>
#include <governed/observe/event.hpp>
#include <governed/observe/export.hpp>
#include <governed/observe/histogram.hpp>
#include <governed/observe/stats.hpp>
