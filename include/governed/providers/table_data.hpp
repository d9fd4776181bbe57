#pragma once
/// @file
/// The built-in provider table, as the JSON document an override file patches.
///
/// Figures are the providers' published ones on the `as_of` date beside them (pricing pages,
/// rate-limit pages, model cards); limits are per tier: a number, "unlimited", or
/// "unavailable" (the model is not offered on that tier); a tier or field left out was not
/// published. Retired models stay so that old configurations still resolve, with `retired`
/// saying since when. Prices are USD per million tokens.

#include <string_view>

namespace governed::providers {

inline constexpr std::string_view builtin_table_json = R"json({
  "providers": {
    "openai": {
      "display": "OpenAI",
      "base_url": "https://api.openai.com/v1",
      "auth": "bearer",
      "dialect": "openai",
      "headers": "openai",
      "requests_window": "minute",
      "tokens_window": "minute",
      "daily_reset": {"rule": "rolling"},
      "limits_per": ["account", "model"],
      "estimate": {"letters_per_token": 5.0, "tokens_per_message": 3, "tokens_per_reply": 3},
      "fallback": {"models": ["gpt-4o", "gpt-4o-mini", "gpt-4-turbo", "gpt-3.5-turbo"],
                   "providers": ["anthropic", "groq"]},
      "as_of": "2025-08-15",
      "models": {
        "gpt-4o": {
          "context_window": 128000, "max_output_tokens": 16384,
          "price": {"input": 2.50, "cached_input": 1.25, "output": 10.00},
          "tiers": {"free": "unavailable",
                    "tier1": {"rpm": 500, "tpm": 30000},
                    "tier2": {"rpm": 5000, "tpm": 450000},
                    "tier3": {"rpm": 5000, "tpm": 800000},
                    "tier4": {"rpm": 10000, "tpm": 2000000},
                    "tier5": {"rpm": 10000, "tpm": 30000000}},
          "tags": ["primary"], "estimate": {"letters_per_token": 5.5},
          "as_of": "2025-08-15"
        },
        "gpt-4o-mini": {
          "context_window": 128000, "max_output_tokens": 16384,
          "price": {"input": 0.15, "cached_input": 0.075, "output": 0.60},
          "tiers": {"free": {"rpm": 3, "rpd": 200, "tpm": 40000},
                    "tier1": {"rpm": 500, "rpd": 10000, "tpm": 200000},
                    "tier2": {"rpm": 5000, "tpm": 2000000},
                    "tier3": {"rpm": 5000, "tpm": 4000000},
                    "tier4": {"rpm": 10000, "tpm": 10000000},
                    "tier5": {"rpm": 30000, "tpm": 150000000}},
          "tags": ["fallback", "budget"], "estimate": {"letters_per_token": 5.5},
          "as_of": "2025-08-15"
        },
        "gpt-4-turbo": {
          "context_window": 128000, "max_output_tokens": 4096,
          "price": {"input": 10.00, "output": 30.00},
          "tiers": {"free": "unavailable",
                    "tier1": {"rpm": 500, "tpm": 30000},
                    "tier2": {"rpm": 5000, "tpm": 450000},
                    "tier3": {"rpm": 5000, "tpm": 600000},
                    "tier4": {"rpm": 10000, "tpm": 800000},
                    "tier5": {"rpm": 10000, "tpm": 2000000}},
          "tags": ["fallback"],
          "as_of": "2025-08-15"
        },
        "gpt-3.5-turbo": {
          "context_window": 16385, "max_output_tokens": 4096,
          "price": {"input": 0.50, "output": 1.50},
          "tiers": {"free": {"rpm": 3, "rpd": 200, "tpm": 40000},
                    "tier1": {"rpm": 3500, "rpd": 10000, "tpm": 200000},
                    "tier2": {"rpm": 3500, "tpm": 2000000},
                    "tier3": {"rpm": 3500, "tpm": 4000000},
                    "tier4": {"rpm": 10000, "tpm": 10000000},
                    "tier5": {"rpm": 10000, "tpm": 50000000}},
          "tags": ["fallback", "budget"],
          "as_of": "2025-08-15"
        },
        "gpt-5-chat-latest": {
          "context_window": 128000, "max_output_tokens": 16384,
          "price": {"input": 1.25, "cached_input": 0.125, "output": 10.00},
          "tiers": {"free": "unavailable",
                    "tier1": {"rpm": 500, "tpm": 30000},
                    "tier2": {"rpm": 5000, "tpm": 450000},
                    "tier3": {"rpm": 5000, "tpm": 800000},
                    "tier4": {"rpm": 10000, "tpm": 2000000},
                    "tier5": {"rpm": 15000, "tpm": 40000000}},
          "tags": ["primary"], "estimate": {"letters_per_token": 5.5},
          "as_of": "2025-08-15"
        }
      }
    },
    "anthropic": {
      "display": "Anthropic",
      "base_url": "https://api.anthropic.com/v1",
      "auth": "x-api-key",
      "dialect": "anthropic",
      "headers": "anthropic",
      "requests_window": "minute",
      "tokens_window": "minute",
      "daily_reset": {"rule": "rolling"},
      "limits_per": ["account", "model"],
      "estimate": {"letters_per_token": 4.4, "tokens_per_message": 4, "tokens_per_reply": 3},
      "fallback": {"models": ["claude-3-5-sonnet-20241022", "claude-3-5-haiku-20241022",
                              "claude-3-haiku-20240307"],
                   "providers": ["openai", "groq"]},
      "as_of": "2025-06-01",
      "models": {
        "claude-3-5-sonnet-20241022": {
          "context_window": 200000, "max_output_tokens": 8192,
          "price": {"input": 3.00, "cached_input": 0.30, "cache_write": 3.75, "output": 15.00},
          "tiers": {"free": "unavailable",
                    "tier1": {"rpm": 50, "itpm": 40000, "otpm": 8000},
                    "tier2": {"rpm": 1000, "itpm": 80000, "otpm": 16000},
                    "tier3": {"rpm": 2000, "itpm": 160000, "otpm": 32000},
                    "tier4": {"rpm": 4000, "itpm": 400000, "otpm": 80000}},
          "tags": ["primary"],
          "retired": "2025-10-22",
          "as_of": "2025-06-01"
        },
        "claude-3-5-haiku-20241022": {
          "context_window": 200000, "max_output_tokens": 8192,
          "price": {"input": 0.80, "cached_input": 0.08, "cache_write": 1.00, "output": 4.00},
          "tiers": {"free": "unavailable",
                    "tier1": {"rpm": 50, "itpm": 50000, "otpm": 10000},
                    "tier2": {"rpm": 1000, "itpm": 100000, "otpm": 20000},
                    "tier3": {"rpm": 2000, "itpm": 200000, "otpm": 40000},
                    "tier4": {"rpm": 4000, "itpm": 400000, "otpm": 80000}},
          "tags": ["fallback", "budget"],
          "as_of": "2025-06-01"
        },
        "claude-3-haiku-20240307": {
          "context_window": 200000, "max_output_tokens": 4096,
          "price": {"input": 0.25, "cached_input": 0.03, "cache_write": 0.30, "output": 1.25},
          "tiers": {"free": "unavailable",
                    "tier1": {"rpm": 50, "itpm": 50000, "otpm": 10000},
                    "tier2": {"rpm": 1000, "itpm": 100000, "otpm": 20000},
                    "tier3": {"rpm": 2000, "itpm": 200000, "otpm": 40000},
                    "tier4": {"rpm": 4000, "itpm": 400000, "otpm": 80000}},
          "tags": ["fallback", "budget"],
          "as_of": "2025-06-01"
        }
      }
    },
    "gemini": {
      "display": "Google Gemini",
      "base_url": "https://generativelanguage.googleapis.com/v1beta",
      "auth": "x-goog-api-key",
      "dialect": "gemini",
      "headers": "none",
      "daily_reset": {"rule": "midnight", "time_zone": "America/Los_Angeles"},
      "limits_per": ["account", "model"],
      "estimate": {"letters_per_token": 5.0, "tokens_per_message": 3, "tokens_per_reply": 0},
      "fallback": {"models": ["gemini-2.5-flash", "gemini-2.5-flash-lite"],
                   "providers": ["openai", "anthropic"]},
      "as_of": "2025-09-01",
      "models": {
        "gemini-2.5-flash": {
          "context_window": 1048576, "max_output_tokens": 65536,
          "price": {"input": 0.30, "cached_input": 0.075, "output": 2.50},
          "tiers": {"free": {"rpm": 10, "tpm": 250000, "rpd": 250},
                    "tier1": {"rpm": 1000, "tpm": 1000000, "rpd": 10000},
                    "tier2": {"rpm": 2000, "tpm": 3000000, "rpd": 100000},
                    "tier3": {"rpm": 10000, "tpm": 8000000, "rpd": "unlimited"}},
          "tags": ["primary", "large_context"],
          "as_of": "2025-09-01"
        },
        "gemini-2.5-flash-lite": {
          "context_window": 1048576, "max_output_tokens": 65536,
          "price": {"input": 0.10, "cached_input": 0.025, "output": 0.40},
          "tiers": {"free": {"rpm": 15, "tpm": 250000, "rpd": 1000},
                    "tier1": {"rpm": 4000, "tpm": 4000000, "rpd": "unlimited"},
                    "tier2": {"rpm": 10000, "tpm": 10000000, "rpd": "unlimited"},
                    "tier3": {"rpm": 30000, "tpm": 30000000, "rpd": "unlimited"}},
          "tags": ["budget", "fallback", "large_context"],
          "as_of": "2025-09-01"
        }
      }
    },
    "groq": {
      "display": "Groq",
      "base_url": "https://api.groq.com/openai/v1",
      "auth": "bearer",
      "dialect": "groq",
      "headers": "openai",
      "requests_window": "day",
      "tokens_window": "minute",
      "daily_reset": {"rule": "rolling"},
      "limits_per": ["account", "model"],
      "estimate": {"letters_per_token": 5.0, "tokens_per_message": 3, "tokens_per_reply": 3},
      "fallback": {"models": ["llama-3.3-70b-versatile", "llama-3.1-70b-versatile",
                              "llama-3.1-8b-instant", "mixtral-8x7b-32768", "gemma2-9b-it"],
                   "providers": ["openai", "anthropic"]},
      "as_of": "2025-09-01",
      "note": "x-ratelimit-*-requests count requests per day, x-ratelimit-*-tokens tokens per minute",
      "models": {
        "llama-3.3-70b-versatile": {
          "context_window": 131072, "max_output_tokens": 32768,
          "price": {"input": 0.59, "output": 0.79},
          "tiers": {"free": {"rpm": 30, "rpd": 1000, "tpm": 12000, "tpd": 100000}},
          "tags": ["primary"],
          "as_of": "2025-09-01"
        },
        "llama-3.1-70b-versatile": {
          "context_window": 131072, "max_output_tokens": 8000,
          "price": {"input": 0.59, "output": 0.79},
          "tiers": {"free": {"rpm": 100, "rpd": 14400, "tpm": 131072, "tpd": 1000000}},
          "tags": ["fallback"],
          "retired": "2024-12-20",
          "as_of": "2024-08-10"
        },
        "llama-3.1-8b-instant": {
          "context_window": 131072, "max_output_tokens": 131072,
          "price": {"input": 0.05, "output": 0.08},
          "tiers": {"free": {"rpm": 30, "rpd": 14400, "tpm": 6000, "tpd": 500000}},
          "tags": ["fallback", "budget"],
          "as_of": "2025-09-01"
        },
        "mixtral-8x7b-32768": {
          "context_window": 32768, "max_output_tokens": 32768,
          "price": {"input": 0.24, "output": 0.24},
          "tiers": {"free": {"rpm": 30, "rpd": 14400, "tpm": 5000, "tpd": 500000}},
          "tags": ["fallback"], "estimate": {"letters_per_token": 4.4},
          "retired": "2025-03-20",
          "as_of": "2025-01-15"
        },
        "gemma2-9b-it": {
          "context_window": 8192, "max_output_tokens": 8192,
          "price": {"input": 0.20, "output": 0.20},
          "tiers": {"free": {"rpm": 30, "rpd": 14400, "tpm": 15000, "tpd": 500000}},
          "tags": ["fallback", "budget"],
          "retired": "2025-10-08",
          "as_of": "2025-09-01"
        }
      }
    },
    "azure": {
      "display": "Azure OpenAI",
      "base_url": "https://{resource}.openai.azure.com/openai",
      "auth": "api-key",
      "dialect": "azure",
      "headers": "openai",
      "requests_window": "minute",
      "tokens_window": "minute",
      "daily_reset": {"rule": "rolling"},
      "limits_per": ["key", "model"],
      "estimate": {"letters_per_token": 5.5, "tokens_per_message": 3, "tokens_per_reply": 3},
      "fallback": {"models": ["gpt-4o", "gpt-4o-mini"], "providers": ["openai"]},
      "as_of": "2025-08-15",
      "note": "limits are per deployment (quota assigned per model and region); the key is the resource's",
      "models": {
        "gpt-4o": {
          "context_window": 128000, "max_output_tokens": 16384,
          "price": {"input": 2.50, "cached_input": 1.25, "output": 10.00},
          "tags": ["primary"], "as_of": "2025-08-15"
        },
        "gpt-4o-mini": {
          "context_window": 128000, "max_output_tokens": 16384,
          "price": {"input": 0.15, "cached_input": 0.075, "output": 0.60},
          "tags": ["fallback", "budget"], "as_of": "2025-08-15"
        }
      }
    },
    "openrouter": {
      "display": "OpenRouter",
      "base_url": "https://openrouter.ai/api/v1",
      "auth": "bearer",
      "dialect": "openrouter",
      "headers": "openrouter",
      "requests_window": "minute",
      "daily_reset": {"rule": "midnight", "time_zone": "UTC"},
      "limits_per": ["account"],
      "estimate": {"letters_per_token": 5.0, "tokens_per_message": 3, "tokens_per_reply": 3},
      "fallback": {"models": [], "providers": []},
      "as_of": "2025-09-01",
      "note": "free models: 20 requests per minute, 50 per day until 10 credits are bought, then 1000 per day",
      "models": {
        "openai/gpt-4o-mini": {
          "context_window": 128000, "max_output_tokens": 16384,
          "price": {"input": 0.15, "cached_input": 0.075, "output": 0.60},
          "tags": ["budget"], "as_of": "2025-09-01"
        }
      }
    },
    "mistral": {
      "display": "Mistral",
      "base_url": "https://api.mistral.ai/v1",
      "auth": "bearer",
      "dialect": "mistral",
      "headers": "mistral",
      "daily_reset": {"rule": "rolling"},
      "limits_per": ["account"],
      "estimate": {"letters_per_token": 4.4, "tokens_per_message": 3, "tokens_per_reply": 3},
      "fallback": {"models": ["mistral-large-latest", "mistral-small-latest"], "providers": []},
      "as_of": "2025-09-01",
      "note": "limits are per workspace; the free Experiment plan allows about one request per second",
      "models": {
        "mistral-large-latest": {
          "context_window": 131072, "max_output_tokens": 131072,
          "price": {"input": 2.00, "output": 6.00},
          "tags": ["primary"], "as_of": "2025-09-01"
        },
        "mistral-small-latest": {
          "context_window": 131072, "max_output_tokens": 131072,
          "price": {"input": 0.10, "output": 0.30},
          "tags": ["fallback", "budget"], "as_of": "2025-09-01"
        }
      }
    },
    "deepseek": {
      "display": "DeepSeek",
      "base_url": "https://api.deepseek.com/v1",
      "auth": "bearer",
      "dialect": "deepseek",
      "headers": "openai",
      "daily_reset": {"rule": "rolling"},
      "limits_per": ["account"],
      "estimate": {"letters_per_token": 4.6, "tokens_per_message": 3, "tokens_per_reply": 3},
      "fallback": {"models": ["deepseek-chat"], "providers": []},
      "as_of": "2025-10-01",
      "note": "no fixed rate limit: under load requests are held open rather than refused",
      "models": {
        "deepseek-chat": {
          "context_window": 131072, "max_output_tokens": 8192,
          "price": {"input": 0.28, "cached_input": 0.028, "output": 0.42},
          "tiers": {"standard": {"rpm": "unlimited", "tpm": "unlimited"}},
          "tags": ["budget"], "as_of": "2025-10-01"
        }
      }
    },
    "openai_compatible": {
      "display": "OpenAI-compatible",
      "base_url": "",
      "auth": "bearer",
      "dialect": "openai",
      "headers": "openai",
      "daily_reset": {"rule": "rolling"},
      "limits_per": ["key"],
      "estimate": {"letters_per_token": 5.0, "tokens_per_message": 3, "tokens_per_reply": 3},
      "fallback": {"models": [], "providers": []},
      "as_of": "2025-09-01",
      "note": "any server speaking the OpenAI API (vLLM, LiteLLM, Together, a gateway): the base URL is the user's",
      "models": {}
    }
  }
})json";

}  // namespace governed::providers
