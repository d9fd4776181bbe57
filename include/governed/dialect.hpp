#pragma once
/// @file
/// The provider dialects, one home each (`dialect/openai/`, `dialect/anthropic/`,
/// `dialect/gemini/`): how a provider's streamed answer is read, event by event, and the
/// reader that picks the home for an attempt's dialect. docs/dialects.md says where each
/// direction lives and where a new provider goes.

#include <governed/dialect/anthropic/stream.hpp>
#include <governed/dialect/gemini/stream.hpp>
#include <governed/dialect/openai/stream.hpp>
#include <governed/dialect/stream.hpp>
#include <governed/dialect/stream_event.hpp>
