#pragma once
/// @file
/// Configuration from the environment and from a JSON file, into the same `StateConfig` and
/// backoff a program would build in code.
///
/// ```cpp
/// // OPENAI_MAX_CONCURRENCY=3 OPENAI_STAGGER_SECONDS=15 OPENAI_TPM_LIMIT=30000
/// // OPENAI_TPM_HEADROOM=0.15 OPENAI_EST_TOKENS_PER_RUN=7000 OPENAI_RETRY_MAX_ATTEMPTS=5
/// // OPENAI_BACKOFF_BASE_SECONDS=2 OPENAI_API_KEY=… OPENAI_API_KEY_2=…
/// auto config = governed::from_env("OPENAI");
/// if (!config) die(config.error().message);   // "OPENAI_TPM_HEADROOM: \"1.5\" must be in [0, 1)"
/// auto state = governed::State<>::create(std::move(config->state));
/// governed::Governed<governed::transport::http> g{*state, transport, config->backoff};
/// ```
///
/// A malformed value is an error naming the variable (or the file and JSON pointer); nothing
/// is half-applied. A value that could be a secret never appears in an error. What can not be
/// right is refused, never read as "no limit": a tier the table does not list, a limit of 0
/// (`unlimited` says no limit), a key the redactor could not remove, a base URL with
/// credentials (docs/configuration.md has every rule). The rules are `validate`'s
/// (settings_check.hpp), the ones `State::create` holds a `StateConfig` to.
///
/// The environment reader is config/env.hpp, the JSON reader config/json.hpp, and what
/// they share config/configuration.hpp. This header also includes keys/health_file.hpp: a
/// configuration names the key-health file (`state_file`) that `State::create` saves in.

#include <governed/config/configuration.hpp>
#include <governed/config/env.hpp>
#include <governed/config/json.hpp>
#include <governed/keys/health_file.hpp>
#include <governed/state.hpp>
