#pragma once
/// @file
/// The built-in provider table, as the document an override patches (table_document.hpp).
///
/// Figures are the providers' published ones on the `as_of` date beside them (pricing pages,
/// rate-limit pages, model cards); limits are per tier: a number, "unlimited", or
/// unavailable (the model is not offered on that tier); a tier or field left out was not
/// published. Retired models stay so that old configurations still resolve, with `retired`
/// saying since when. Prices are USD per million tokens.
///
/// tests/data/builtin_table.json is the same document in JSON, and a test holds the two
/// equal: change both, or change the JSON and write this file again with
/// `tools/table_to_cpp.py > include/governed/providers/table_data.hpp`.

#include <governed/providers/table_document.hpp>

#include <chrono>
#include <vector>

namespace governed::providers {

namespace detail {

inline ProviderEntry builtin_anthropic() {
  return ProviderEntry{
      .name = "anthropic",
      .display = "Anthropic",
      .base_url = "https://api.anthropic.com/v1",
      .auth = AuthStyle::x_api_key,
      .dialect = Dialect::anthropic,
      .headers = HeaderFamily::anthropic,
      .requests_window = std::chrono::seconds{60},
      .tokens_window = std::chrono::seconds{60},
      .daily_reset = DailyResetEntry{.rule = DailyReset::Rule::rolling},
      .limits_per = Names{"account", "model"},
      .estimate = EstimateEntry{.letters_per_token = 4.4, .tokens_per_message = 4, .tokens_per_reply = 3, .image = ImageRule::anthropic_area, .tokens_per_tool = 7, .tool_prompt_tokens = 346, .tokens_per_document_page = 3000},
      .fallback = FallbackEntry{.models = Names{"claude-3-5-sonnet-20241022", "claude-3-5-haiku-20241022", "claude-3-haiku-20240307"},
                                .providers = Names{"openai", "groq"}},
      .capabilities = Names{"tools", "parallel_tool_control", "vision", "image_urls", "documents", "document_urls", "json_mode", "json_schema", "prompt_cache_marks", "tool_result_images"},
      .capabilities_as_of = "2026-12-07",
      .as_of = "2025-06-01",
      .note = "capabilities: structured output is a forced tool (not strict, and refused with extended thinking); no seed",
      .models = std::vector<ModelEntry>{
          ModelEntry{
            .name = "claude-3-5-haiku-20241022", .context_window = 200000, .max_output_tokens = 8192,
            .price = {.input = 0.8, .output = 4.0, .cached_input = 0.08, .cache_write = 1.0},
            .tiers = std::vector<TierEntry>{
                {.name = "free", .available = false},
                {.name = "tier1", .rpm = Cap::of(50), .itpm = Cap::of(50000), .otpm = Cap::of(10000)},
                {.name = "tier2", .rpm = Cap::of(1000), .itpm = Cap::of(100000), .otpm = Cap::of(20000)},
                {.name = "tier3", .rpm = Cap::of(2000), .itpm = Cap::of(200000), .otpm = Cap::of(40000)},
                {.name = "tier4", .rpm = Cap::of(4000), .itpm = Cap::of(400000), .otpm = Cap::of(80000)}},
            .tags = Names{"fallback", "budget"}, .as_of = "2025-06-01", .note = "vision: Anthropic's pages list image and PDF input; OpenRouter's page says it takes no images"},
          ModelEntry{
            .name = "claude-3-5-sonnet-20241022", .context_window = 200000, .max_output_tokens = 8192,
            .price = {.input = 3.0, .output = 15.0, .cached_input = 0.3, .cache_write = 3.75},
            .tiers = std::vector<TierEntry>{
                {.name = "free", .available = false},
                {.name = "tier1", .rpm = Cap::of(50), .itpm = Cap::of(40000), .otpm = Cap::of(8000)},
                {.name = "tier2", .rpm = Cap::of(1000), .itpm = Cap::of(80000), .otpm = Cap::of(16000)},
                {.name = "tier3", .rpm = Cap::of(2000), .itpm = Cap::of(160000), .otpm = Cap::of(32000)},
                {.name = "tier4", .rpm = Cap::of(4000), .itpm = Cap::of(400000), .otpm = Cap::of(80000)}},
            .tags = Names{"primary"}, .as_of = "2025-06-01", .retired = "2025-10-22"},
          ModelEntry{
            .name = "claude-3-haiku-20240307", .context_window = 200000, .max_output_tokens = 4096,
            .price = {.input = 0.25, .output = 1.25, .cached_input = 0.03, .cache_write = 0.3},
            .tiers = std::vector<TierEntry>{
                {.name = "free", .available = false},
                {.name = "tier1", .rpm = Cap::of(50), .itpm = Cap::of(50000), .otpm = Cap::of(10000)},
                {.name = "tier2", .rpm = Cap::of(1000), .itpm = Cap::of(100000), .otpm = Cap::of(20000)},
                {.name = "tier3", .rpm = Cap::of(2000), .itpm = Cap::of(200000), .otpm = Cap::of(40000)},
                {.name = "tier4", .rpm = Cap::of(4000), .itpm = Cap::of(400000), .otpm = Cap::of(80000)}},
            .tags = Names{"fallback", "budget"}, .estimate = EstimateEntry{.tool_prompt_tokens = 340}, .capabilities = Names{"tools", "parallel_tool_control", "vision", "image_urls", "json_mode", "json_schema", "prompt_cache_marks", "tool_result_images"}, .capabilities_as_of = "2026-12-07", .as_of = "2025-06-01", .note = "the PDF support page does not list it: documents left off"}}};
}

inline ProviderEntry builtin_azure() {
  return ProviderEntry{
      .name = "azure",
      .display = "Azure OpenAI",
      .base_url = "https://{resource}.openai.azure.com/openai",
      .auth = AuthStyle::api_key,
      .dialect = Dialect::azure,
      .headers = HeaderFamily::openai,
      .requests_window = std::chrono::seconds{60},
      .tokens_window = std::chrono::seconds{60},
      .daily_reset = DailyResetEntry{.rule = DailyReset::Rule::rolling},
      .limits_per = Names{"key", "model"},
      .estimate = EstimateEntry{.letters_per_token = 5.5, .tokens_per_message = 3, .tokens_per_reply = 3, .image = ImageRule::openai_tiles, .tokens_per_tool = 7, .tool_prompt_tokens = 12, .tokens_per_document_page = 1500},
      .fallback = FallbackEntry{.models = Names{"gpt-4o", "gpt-4o-mini"},
                                .providers = Names{"openai"}},
      .capabilities = Names{"tools", "parallel_tool_control", "vision", "image_urls", "json_mode", "json_schema", "json_schema_strict", "seed", "verbatim_tool_arguments"},
      .capabilities_as_of = "2026-12-07",
      .as_of = "2025-08-15",
      .note = "limits are per deployment (quota assigned per model and region); the key is the resource's; capabilities: PDF file parts in chat completions are not stated for Azure deployments: documents left off",
      .models = std::vector<ModelEntry>{
          ModelEntry{
            .name = "gpt-4o", .context_window = 128000, .max_output_tokens = 16384,
            .price = {.input = 2.5, .output = 10.0, .cached_input = 1.25},
            .tags = Names{"primary"}, .as_of = "2025-08-15"},
          ModelEntry{
            .name = "gpt-4o-mini", .context_window = 128000, .max_output_tokens = 16384,
            .price = {.input = 0.15, .output = 0.6, .cached_input = 0.075},
            .tags = Names{"fallback", "budget"}, .as_of = "2025-08-15"}}};
}

inline ProviderEntry builtin_deepseek() {
  return ProviderEntry{
      .name = "deepseek",
      .display = "DeepSeek",
      .base_url = "https://api.deepseek.com/v1",
      .auth = AuthStyle::bearer,
      .dialect = Dialect::deepseek,
      .headers = HeaderFamily::openai,
      .daily_reset = DailyResetEntry{.rule = DailyReset::Rule::rolling},
      .limits_per = Names{"account"},
      .estimate = EstimateEntry{.letters_per_token = 4.6, .tokens_per_message = 3, .tokens_per_reply = 3},
      .fallback = FallbackEntry{.models = Names{"deepseek-chat"},
                                .providers = Names{}},
      .capabilities = Names{"tools", "json_mode", "verbatim_tool_arguments"},
      .capabilities_as_of = "2026-12-07",
      .as_of = "2025-10-01",
      .note = "no fixed rate limit: under load requests are held open rather than refused; capabilities: no parallel-tool switch, no schema, no images on deepseek-chat",
      .models = std::vector<ModelEntry>{
          ModelEntry{
            .name = "deepseek-chat", .context_window = 131072, .max_output_tokens = 8192,
            .price = {.input = 0.28, .output = 0.42, .cached_input = 0.028},
            .tiers = std::vector<TierEntry>{
                {.name = "standard", .rpm = Cap::without_limit(), .tpm = Cap::without_limit()}},
            .tags = Names{"budget"}, .as_of = "2025-10-01"}}};
}

inline ProviderEntry builtin_gemini() {
  return ProviderEntry{
      .name = "gemini",
      .display = "Google Gemini",
      .base_url = "https://generativelanguage.googleapis.com/v1beta",
      .auth = AuthStyle::x_goog_api_key,
      .dialect = Dialect::gemini,
      .headers = HeaderFamily::none,
      .daily_reset = DailyResetEntry{.rule = DailyReset::Rule::midnight, .time_zone = "America/Los_Angeles"},
      .limits_per = Names{"account", "model"},
      .estimate = EstimateEntry{.letters_per_token = 5.0, .tokens_per_message = 3, .tokens_per_reply = 0, .image = ImageRule::gemini_tiles, .tokens_per_document_page = 560},
      .fallback = FallbackEntry{.models = Names{"gemini-2.5-flash", "gemini-2.5-flash-lite"},
                                .providers = Names{"openai", "anthropic"}},
      .capabilities = Names{"tools", "vision", "image_urls", "documents", "document_urls", "json_mode", "json_schema", "json_schema_strict", "reasoning_budget", "seed", "thinking_with_forced_tool"},
      .capabilities_as_of = "2026-12-07",
      .as_of = "2025-09-01",
      .note = "capabilities: no switch for parallel function calls; a response schema is enforced (json_schema_strict) for the OpenAPI subset it takes; thinking with function calling mode ANY is not restricted on the pages",
      .models = std::vector<ModelEntry>{
          ModelEntry{
            .name = "gemini-2.5-flash", .context_window = 1048576, .max_output_tokens = 65536,
            .price = {.input = 0.3, .output = 2.5, .cached_input = 0.075},
            .tiers = std::vector<TierEntry>{
                {.name = "free", .rpm = Cap::of(10), .tpm = Cap::of(250000), .rpd = Cap::of(250)},
                {.name = "tier1", .rpm = Cap::of(1000), .tpm = Cap::of(1000000), .rpd = Cap::of(10000)},
                {.name = "tier2", .rpm = Cap::of(2000), .tpm = Cap::of(3000000), .rpd = Cap::of(100000)},
                {.name = "tier3", .rpm = Cap::of(10000), .tpm = Cap::of(8000000), .rpd = Cap::without_limit()}},
            .tags = Names{"primary", "large_context"}, .as_of = "2025-09-01"},
          ModelEntry{
            .name = "gemini-2.5-flash-lite", .context_window = 1048576, .max_output_tokens = 65536,
            .price = {.input = 0.1, .output = 0.4, .cached_input = 0.025},
            .tiers = std::vector<TierEntry>{
                {.name = "free", .rpm = Cap::of(15), .tpm = Cap::of(250000), .rpd = Cap::of(1000)},
                {.name = "tier1", .rpm = Cap::of(4000), .tpm = Cap::of(4000000), .rpd = Cap::without_limit()},
                {.name = "tier2", .rpm = Cap::of(10000), .tpm = Cap::of(10000000), .rpd = Cap::without_limit()},
                {.name = "tier3", .rpm = Cap::of(30000), .tpm = Cap::of(30000000), .rpd = Cap::without_limit()}},
            .tags = Names{"budget", "fallback", "large_context"}, .as_of = "2025-09-01"}}};
}

inline ProviderEntry builtin_groq() {
  return ProviderEntry{
      .name = "groq",
      .display = "Groq",
      .base_url = "https://api.groq.com/openai/v1",
      .auth = AuthStyle::bearer,
      .dialect = Dialect::groq,
      .headers = HeaderFamily::openai,
      .requests_window = std::chrono::seconds{86400},
      .tokens_window = std::chrono::seconds{60},
      .daily_reset = DailyResetEntry{.rule = DailyReset::Rule::rolling},
      .limits_per = Names{"account", "model"},
      .estimate = EstimateEntry{.letters_per_token = 5.0, .tokens_per_message = 3, .tokens_per_reply = 3, .image = ImageRule::openai_tiles},
      .fallback = FallbackEntry{.models = Names{"llama-3.3-70b-versatile", "llama-3.1-70b-versatile", "llama-3.1-8b-instant", "mixtral-8x7b-32768", "gemma2-9b-it"},
                                .providers = Names{"openai", "anthropic"}},
      .capabilities = Names{"tools", "parallel_tool_control", "json_mode", "seed", "verbatim_tool_arguments"},
      .capabilities_as_of = "2026-12-07",
      .as_of = "2025-09-01",
      .note = "x-ratelimit-*-requests count requests per day, x-ratelimit-*-tokens tokens per minute; capabilities: structured outputs (json_schema) and vision are listed for other models only",
      .models = std::vector<ModelEntry>{
          ModelEntry{
            .name = "gemma2-9b-it", .context_window = 8192, .max_output_tokens = 8192,
            .price = {.input = 0.2, .output = 0.2},
            .tiers = std::vector<TierEntry>{
                {.name = "free", .rpm = Cap::of(30), .tpm = Cap::of(15000), .rpd = Cap::of(14400), .tpd = Cap::of(500000)}},
            .tags = Names{"fallback", "budget"}, .as_of = "2025-09-01", .retired = "2025-10-08"},
          ModelEntry{
            .name = "llama-3.1-70b-versatile", .context_window = 131072, .max_output_tokens = 8000,
            .price = {.input = 0.59, .output = 0.79},
            .tiers = std::vector<TierEntry>{
                {.name = "free", .rpm = Cap::of(100), .tpm = Cap::of(131072), .rpd = Cap::of(14400), .tpd = Cap::of(1000000)}},
            .tags = Names{"fallback"}, .as_of = "2024-08-10", .retired = "2024-12-20"},
          ModelEntry{
            .name = "llama-3.1-8b-instant", .context_window = 131072, .max_output_tokens = 131072,
            .price = {.input = 0.05, .output = 0.08},
            .tiers = std::vector<TierEntry>{
                {.name = "free", .rpm = Cap::of(30), .tpm = Cap::of(6000), .rpd = Cap::of(14400), .tpd = Cap::of(500000)}},
            .tags = Names{"fallback", "budget"}, .as_of = "2025-09-01"},
          ModelEntry{
            .name = "llama-3.3-70b-versatile", .context_window = 131072, .max_output_tokens = 32768,
            .price = {.input = 0.59, .output = 0.79},
            .tiers = std::vector<TierEntry>{
                {.name = "free", .rpm = Cap::of(30), .tpm = Cap::of(12000), .rpd = Cap::of(1000), .tpd = Cap::of(100000)}},
            .tags = Names{"primary"}, .as_of = "2025-09-01"},
          ModelEntry{
            .name = "mixtral-8x7b-32768", .context_window = 32768, .max_output_tokens = 32768,
            .price = {.input = 0.24, .output = 0.24},
            .tiers = std::vector<TierEntry>{
                {.name = "free", .rpm = Cap::of(30), .tpm = Cap::of(5000), .rpd = Cap::of(14400), .tpd = Cap::of(500000)}},
            .tags = Names{"fallback"}, .estimate = EstimateEntry{.letters_per_token = 4.4}, .as_of = "2025-01-15", .retired = "2025-03-20"}}};
}

inline ProviderEntry builtin_mistral() {
  return ProviderEntry{
      .name = "mistral",
      .display = "Mistral",
      .base_url = "https://api.mistral.ai/v1",
      .auth = AuthStyle::bearer,
      .dialect = Dialect::mistral,
      .headers = HeaderFamily::mistral,
      .daily_reset = DailyResetEntry{.rule = DailyReset::Rule::rolling},
      .limits_per = Names{"account"},
      .estimate = EstimateEntry{.letters_per_token = 4.4, .tokens_per_message = 3, .tokens_per_reply = 3, .image = ImageRule::openai_tiles},
      .fallback = FallbackEntry{.models = Names{"mistral-large-latest", "mistral-small-latest"},
                                .providers = Names{}},
      .capabilities = Names{"tools", "parallel_tool_control", "json_mode", "json_schema", "seed", "verbatim_tool_arguments"},
      .capabilities_as_of = "2026-12-07",
      .as_of = "2025-09-01",
      .note = "limits are per workspace; the free Experiment plan allows about one request per second; capabilities: whether a strict schema is enforced is not stated: json_schema_strict left off",
      .models = std::vector<ModelEntry>{
          ModelEntry{
            .name = "mistral-large-latest", .context_window = 131072, .max_output_tokens = 131072,
            .price = {.input = 2.0, .output = 6.0},
            .tags = Names{"primary"}, .as_of = "2025-09-01"},
          ModelEntry{
            .name = "mistral-small-latest", .context_window = 131072, .max_output_tokens = 131072,
            .price = {.input = 0.1, .output = 0.3},
            .tags = Names{"fallback", "budget"}, .capabilities = Names{"tools", "parallel_tool_control", "vision", "image_urls", "json_mode", "json_schema", "seed", "verbatim_tool_arguments"}, .capabilities_as_of = "2026-12-07", .as_of = "2025-09-01"}}};
}

inline ProviderEntry builtin_openai() {
  return ProviderEntry{
      .name = "openai",
      .display = "OpenAI",
      .base_url = "https://api.openai.com/v1",
      .auth = AuthStyle::bearer,
      .dialect = Dialect::openai,
      .headers = HeaderFamily::openai,
      .requests_window = std::chrono::seconds{60},
      .tokens_window = std::chrono::seconds{60},
      .daily_reset = DailyResetEntry{.rule = DailyReset::Rule::rolling},
      .limits_per = Names{"account", "model"},
      .estimate = EstimateEntry{.letters_per_token = 5.0, .tokens_per_message = 3, .tokens_per_reply = 3, .image = ImageRule::openai_tiles, .tokens_per_tool = 7, .tool_prompt_tokens = 12, .tokens_per_document_page = 1500},
      .fallback = FallbackEntry{.models = Names{"gpt-4o", "gpt-4o-mini", "gpt-4-turbo", "gpt-3.5-turbo"},
                                .providers = Names{"anthropic", "groq"}},
      .capabilities = Names{"tools", "parallel_tool_control", "vision", "image_urls", "documents", "json_mode", "json_schema", "json_schema_strict", "seed", "verbatim_tool_arguments"},
      .capabilities_as_of = "2026-12-07",
      .as_of = "2025-08-15",
      .models = std::vector<ModelEntry>{
          ModelEntry{
            .name = "gpt-3.5-turbo", .context_window = 16385, .max_output_tokens = 4096,
            .price = {.input = 0.5, .output = 1.5},
            .tiers = std::vector<TierEntry>{
                {.name = "free", .rpm = Cap::of(3), .tpm = Cap::of(40000), .rpd = Cap::of(200)},
                {.name = "tier1", .rpm = Cap::of(3500), .tpm = Cap::of(200000), .rpd = Cap::of(10000)},
                {.name = "tier2", .rpm = Cap::of(3500), .tpm = Cap::of(2000000)},
                {.name = "tier3", .rpm = Cap::of(3500), .tpm = Cap::of(4000000)},
                {.name = "tier4", .rpm = Cap::of(10000), .tpm = Cap::of(10000000)},
                {.name = "tier5", .rpm = Cap::of(10000), .tpm = Cap::of(50000000)}},
            .tags = Names{"fallback", "budget"}, .capabilities = Names{"tools", "parallel_tool_control", "json_mode", "seed", "verbatim_tool_arguments"}, .capabilities_as_of = "2026-12-07", .as_of = "2025-08-15", .note = "text only: no images or PDF files"},
          ModelEntry{
            .name = "gpt-4-turbo", .context_window = 128000, .max_output_tokens = 4096,
            .price = {.input = 10.0, .output = 30.0},
            .tiers = std::vector<TierEntry>{
                {.name = "free", .available = false},
                {.name = "tier1", .rpm = Cap::of(500), .tpm = Cap::of(30000)},
                {.name = "tier2", .rpm = Cap::of(5000), .tpm = Cap::of(450000)},
                {.name = "tier3", .rpm = Cap::of(5000), .tpm = Cap::of(600000)},
                {.name = "tier4", .rpm = Cap::of(10000), .tpm = Cap::of(800000)},
                {.name = "tier5", .rpm = Cap::of(10000), .tpm = Cap::of(2000000)}},
            .tags = Names{"fallback"}, .capabilities = Names{"tools", "parallel_tool_control", "vision", "image_urls", "documents", "json_mode", "seed", "verbatim_tool_arguments"}, .capabilities_as_of = "2026-12-07", .as_of = "2025-08-15", .note = "structured outputs (json_schema) start with gpt-4o-2024-08-06"},
          ModelEntry{
            .name = "gpt-4o", .context_window = 128000, .max_output_tokens = 16384,
            .price = {.input = 2.5, .output = 10.0, .cached_input = 1.25},
            .tiers = std::vector<TierEntry>{
                {.name = "free", .available = false},
                {.name = "tier1", .rpm = Cap::of(500), .tpm = Cap::of(30000)},
                {.name = "tier2", .rpm = Cap::of(5000), .tpm = Cap::of(450000)},
                {.name = "tier3", .rpm = Cap::of(5000), .tpm = Cap::of(800000)},
                {.name = "tier4", .rpm = Cap::of(10000), .tpm = Cap::of(2000000)},
                {.name = "tier5", .rpm = Cap::of(10000), .tpm = Cap::of(30000000)}},
            .tags = Names{"primary"}, .estimate = EstimateEntry{.letters_per_token = 5.5}, .as_of = "2025-08-15"},
          ModelEntry{
            .name = "gpt-4o-mini", .context_window = 128000, .max_output_tokens = 16384,
            .price = {.input = 0.15, .output = 0.6, .cached_input = 0.075},
            .tiers = std::vector<TierEntry>{
                {.name = "free", .rpm = Cap::of(3), .tpm = Cap::of(40000), .rpd = Cap::of(200)},
                {.name = "tier1", .rpm = Cap::of(500), .tpm = Cap::of(200000), .rpd = Cap::of(10000)},
                {.name = "tier2", .rpm = Cap::of(5000), .tpm = Cap::of(2000000)},
                {.name = "tier3", .rpm = Cap::of(5000), .tpm = Cap::of(4000000)},
                {.name = "tier4", .rpm = Cap::of(10000), .tpm = Cap::of(10000000)},
                {.name = "tier5", .rpm = Cap::of(30000), .tpm = Cap::of(150000000)}},
            .tags = Names{"fallback", "budget"}, .estimate = EstimateEntry{.letters_per_token = 5.5}, .as_of = "2025-08-15"},
          ModelEntry{
            .name = "gpt-5-chat-latest", .context_window = 128000, .max_output_tokens = 16384,
            .price = {.input = 1.25, .output = 10.0, .cached_input = 0.125},
            .tiers = std::vector<TierEntry>{
                {.name = "free", .available = false},
                {.name = "tier1", .rpm = Cap::of(500), .tpm = Cap::of(30000)},
                {.name = "tier2", .rpm = Cap::of(5000), .tpm = Cap::of(450000)},
                {.name = "tier3", .rpm = Cap::of(5000), .tpm = Cap::of(800000)},
                {.name = "tier4", .rpm = Cap::of(10000), .tpm = Cap::of(2000000)},
                {.name = "tier5", .rpm = Cap::of(15000), .tpm = Cap::of(40000000)}},
            .tags = Names{"primary"}, .estimate = EstimateEntry{.letters_per_token = 5.5}, .capabilities = Names{"vision", "image_urls", "documents"}, .capabilities_as_of = "2026-12-07", .as_of = "2025-08-15", .note = "the model page lists function calling and structured outputs as not supported"}}};
}

inline ProviderEntry builtin_openai_compatible() {
  return ProviderEntry{
      .name = "openai_compatible",
      .display = "OpenAI-compatible",
      .base_url = "",
      .auth = AuthStyle::bearer,
      .dialect = Dialect::openai,
      .headers = HeaderFamily::openai,
      .daily_reset = DailyResetEntry{.rule = DailyReset::Rule::rolling},
      .limits_per = Names{"key"},
      .estimate = EstimateEntry{.letters_per_token = 5.0, .tokens_per_message = 3, .tokens_per_reply = 3},
      .fallback = FallbackEntry{.models = Names{},
                                .providers = Names{}},
      .capabilities = Names{},
      .capabilities_as_of = "2026-12-07",
      .as_of = "2025-09-01",
      .note = "any server speaking the OpenAI API (vLLM, LiteLLM, Together, a gateway): the base URL is the user's; capabilities: the user's server's, to state in an override",
      .models = std::vector<ModelEntry>{}};
}

inline ProviderEntry builtin_openrouter() {
  return ProviderEntry{
      .name = "openrouter",
      .display = "OpenRouter",
      .base_url = "https://openrouter.ai/api/v1",
      .auth = AuthStyle::bearer,
      .dialect = Dialect::openrouter,
      .headers = HeaderFamily::openrouter,
      .requests_window = std::chrono::seconds{60},
      .daily_reset = DailyResetEntry{.rule = DailyReset::Rule::midnight, .time_zone = "UTC"},
      .limits_per = Names{"account"},
      .estimate = EstimateEntry{.letters_per_token = 5.0, .tokens_per_message = 3, .tokens_per_reply = 3, .image = ImageRule::openai_tiles},
      .fallback = FallbackEntry{.models = Names{},
                                .providers = Names{}},
      .capabilities = Names{"tools", "parallel_tool_control", "vision", "image_urls", "documents", "json_mode", "json_schema", "json_schema_strict", "seed", "verbatim_tool_arguments"},
      .capabilities_as_of = "2026-12-07",
      .as_of = "2025-09-01",
      .note = "free models: 20 requests per minute, 50 per day until 10 credits are bought, then 1000 per day",
      .models = std::vector<ModelEntry>{
          ModelEntry{
            .name = "openai/gpt-4o-mini", .context_window = 128000, .max_output_tokens = 16384,
            .price = {.input = 0.15, .output = 0.6, .cached_input = 0.075},
            .tags = Names{"budget"}, .as_of = "2025-09-01"}}};
}

}  // namespace detail

/// The built-in table's document, built anew on each call (`builtin_table()` resolves it once).
inline TableDocument builtin_table_document() {
  return TableDocument{{
      detail::builtin_anthropic(),
      detail::builtin_azure(),
      detail::builtin_deepseek(),
      detail::builtin_gemini(),
      detail::builtin_groq(),
      detail::builtin_mistral(),
      detail::builtin_openai(),
      detail::builtin_openai_compatible(),
      detail::builtin_openrouter()}};
}

}  // namespace governed::providers
