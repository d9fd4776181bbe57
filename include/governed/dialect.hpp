#pragma once
/// @file
/// The provider dialects, one home each (`dialect/openai/`, `dialect/azure/`,
/// `dialect/anthropic/`, `dialect/gemini/`): how an attempt's request is encoded and how a
/// provider's streamed answer is decoded, event by event, with the dispatch that picks the home
/// for an attempt's dialect. docs/dialects.md says where each direction lives and where a new
/// provider goes.

#include <governed/dialect/anthropic/request.hpp>
#include <governed/dialect/anthropic/stream.hpp>
#include <governed/dialect/azure/request.hpp>
#include <governed/dialect/format.hpp>
#include <governed/dialect/gemini/request.hpp>
#include <governed/dialect/gemini/stream.hpp>
#include <governed/dialect/openai/request.hpp>
#include <governed/dialect/openai/stream.hpp>
#include <governed/dialect/request.hpp>
#include <governed/dialect/stream.hpp>
#include <governed/dialect/stream_event.hpp>
