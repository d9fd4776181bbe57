#pragma once
/// @file
/// Provider intelligence: the provider table, the reply classifier, wait parsing, limit
/// headers, friendly messages with redaction, token estimation (with images' sizes and each
/// provider's image rule), usage and cost accounting.
/// Data and pure functions, no I/O except reading an override file when asked.

#include <governed/providers/capabilities.hpp>
#include <governed/providers/classify.hpp>
#include <governed/providers/cost.hpp>
#include <governed/providers/error_body.hpp>
#include <governed/providers/headers.hpp>
#include <governed/providers/image_size.hpp>
#include <governed/providers/image_tokens.hpp>
#include <governed/providers/kind.hpp>
#include <governed/providers/messages.hpp>
#include <governed/providers/redact.hpp>
#include <governed/providers/table.hpp>
#include <governed/providers/table_data.hpp>
#include <governed/providers/table_json.hpp>
#include <governed/providers/tokens.hpp>
#include <governed/providers/usage.hpp>
#include <governed/providers/wait.hpp>
