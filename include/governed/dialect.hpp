#pragma once
/// @file
/// The provider dialects, one home each (`dialect/openai/`, `dialect/azure/`,
/// `dialect/anthropic/`, `dialect/gemini/`): how an attempt's request is encoded, how a
/// provider's reply, error and streamed answer (event by event) are decoded and written (as
/// governed-sim answers), with the dispatch that picks the home for an attempt's dialect, and
/// the classifier over a reply's bytes. docs/dialects.md says where each direction lives and where a new
/// provider goes.

#include <governed/dialect/answer_json.hpp>
#include <governed/dialect/anthropic/error.hpp>
#include <governed/dialect/anthropic/reply.hpp>
#include <governed/dialect/anthropic/request.hpp>
#include <governed/dialect/anthropic/stream.hpp>
#include <governed/dialect/azure/error.hpp>
#include <governed/dialect/azure/request.hpp>
#include <governed/dialect/classify.hpp>
#include <governed/dialect/error.hpp>
#include <governed/dialect/format.hpp>
#include <governed/dialect/gemini/error.hpp>
#include <governed/dialect/gemini/reply.hpp>
#include <governed/dialect/gemini/request.hpp>
#include <governed/dialect/gemini/stream.hpp>
#include <governed/dialect/openai/error.hpp>
#include <governed/dialect/openai/reply.hpp>
#include <governed/dialect/openai/request.hpp>
#include <governed/dialect/openai/stream.hpp>
#include <governed/dialect/reply.hpp>
#include <governed/dialect/reply_meta.hpp>
#include <governed/dialect/request.hpp>
#include <governed/dialect/stream.hpp>
#include <governed/dialect/stream_event.hpp>
#include <governed/dialect/stream_frame.hpp>
