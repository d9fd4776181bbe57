#!/usr/bin/env python3
"""Writes include/governed/providers/table_data.hpp, the built-in provider table as C++ data,
from a table document in JSON (by default tests/data/builtin_table.json, the document the
tests hold the built-in table equal to).

Use: tools/table_to_cpp.py [table.json] > include/governed/providers/table_data.hpp

Entries come out ordered by name, as governed reads a JSON object's members; each field is
written only when the document has it, so the document written back is the one read."""

import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent

AUTH = {"bearer": "bearer", "x-api-key": "x_api_key", "api-key": "api_key", "x-goog-api-key": "x_goog_api_key"}
WINDOW = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
CAPS = ["rpm", "tpm", "rpd", "tpd", "itpm", "otpm"]


def text(s):
    return json.dumps(s, ensure_ascii=False)


def number(x):
    return repr(float(x))


def names(v):
    return "Names{" + ", ".join(text(s) for s in v) + "}"


def fields(pairs, indent=None):
    """`{.name = value, ...}` in declaration order, skipping absent (None) values: on one line,
    or with `indent`, one field a line at that indentation."""
    kept = [f".{k} = {v}" for k, v in pairs if v is not None]
    if indent is None:
        return "{" + ", ".join(kept) + "}"
    pad = " " * indent
    return "{\n" + ",\n".join(pad + f for f in kept) + "}"


def block(type_name, items, indent):
    """`type_name{` with one item a line at `indent`."""
    if not items:
        return type_name + "{}"
    pad = " " * indent
    return type_name + "{\n" + ",\n".join(pad + i for i in items) + "}"


def estimate(e):
    if e is None:
        return None
    return "EstimateEntry" + fields([
        ("letters_per_token", number(e["letters_per_token"]) if "letters_per_token" in e else None),
        ("tokens_per_message", str(e["tokens_per_message"]) if "tokens_per_message" in e else None),
        ("tokens_per_reply", str(e["tokens_per_reply"]) if "tokens_per_reply" in e else None),
        ("image", "ImageRule::" + e["image"] if "image" in e else None),
        ("image_patch_multiplier", number(e["image_patch_multiplier"]) if "image_patch_multiplier" in e else None)] +
        [(k, str(e[k]) if k in e else None)
         for k in ("tokens_per_tool", "tool_prompt_tokens", "tokens_per_document_page")])


def cap(v):
    if v is None:
        return None
    if v == "unlimited":
        return "Cap::without_limit()"
    if v == "unavailable":
        return "Cap{Cap::State::unavailable}"
    return f"Cap::of({v})"


def tier(name, t):
    if t == "unavailable":
        return fields([("name", text(name)), ("available", "false")])
    return fields([("name", text(name))] + [(c, cap(t.get(c))) for c in CAPS] +
                  [("as_of", text(t["as_of"]) if "as_of" in t else None)])


def opt_text(d, k):
    return text(d[k]) if k in d else None


def opt_names(d, k):
    return names(d[k]) if k in d else None


def model(name, m, indent):
    p = m["price"]
    price = fields([("input", number(p["input"])), ("output", number(p["output"])),
                    ("cached_input", number(p["cached_input"]) if "cached_input" in p else None),
                    ("cache_write", number(p["cache_write"]) if "cache_write" in p else None),
                    ("as_of", opt_text(p, "as_of"))])
    tiers = None
    if "tiers" in m:
        tiers = block("std::vector<TierEntry>", [tier(k, m["tiers"][k]) for k in sorted(m["tiers"])], indent + 4)
    pad = " " * indent
    lines = [
        fields([("name", text(name)), ("context_window", str(m["context_window"])),
                ("max_output_tokens", str(m["max_output_tokens"]))])[1:-1],
        f".price = {price}",
        f".tiers = {tiers}" if tiers else None,
        fields([("tags", names(m["tags"]) if "tags" in m else None), ("estimate", estimate(m.get("estimate"))),
                ("capabilities", opt_names(m, "capabilities")),
                ("capabilities_as_of", opt_text(m, "capabilities_as_of")), ("as_of", text(m["as_of"])), ("retired", opt_text(m, "retired")), ("note", opt_text(m, "note"))])[1:-1]]
    return "{\n" + ",\n".join(pad + line for line in lines if line) + "}"


def provider(name, p):
    reset = None
    if "daily_reset" in p:
        d = p["daily_reset"]
        reset = "DailyResetEntry" + fields([("rule", "DailyReset::Rule::" + d["rule"]),
                                            ("time_zone", opt_text(d, "time_zone"))])
    fallback = None
    if "fallback" in p:
        f = p["fallback"]
        kept = [f".{k} = {names(f[k])}" for k in ("models", "providers") if k in f]
        fallback = "FallbackEntry{" + (",\n" + " " * 32).join(kept) + "}"
    models = None
    if "models" in p:
        models = block("std::vector<ModelEntry>",
                       ["ModelEntry" + model(k, p["models"][k], 12) for k in sorted(p["models"])], 10)
    window = lambda k: f"std::chrono::seconds{{{WINDOW[p[k]]}}}" if k in p else None
    return fields([
        ("name", text(name)), ("display", opt_text(p, "display")), ("base_url", opt_text(p, "base_url")),
        ("auth", "AuthStyle::" + AUTH[p["auth"]] if "auth" in p else None),
        ("dialect", "Dialect::" + p["dialect"] if "dialect" in p else None),
        ("headers", "HeaderFamily::" + p["headers"] if "headers" in p else None),
        ("requests_window", window("requests_window")), ("tokens_window", window("tokens_window")),
        ("daily_reset", reset), ("limits_per", names(p["limits_per"]) if "limits_per" in p else None),
        ("estimate", estimate(p.get("estimate"))), ("fallback", fallback),
        ("capabilities", opt_names(p, "capabilities")), ("capabilities_as_of", opt_text(p, "capabilities_as_of")),
        ("as_of", text(p["as_of"])),
        ("note", opt_text(p, "note")), ("models", models)], 6)


HEAD = '''#pragma once
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

'''

TAIL = '''
}  // namespace governed::providers
'''


def function_name(provider_name):
    return "builtin_" + "".join(c if c.isalnum() else "_" for c in provider_name)


def main():
    path = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "tests" / "data" / "builtin_table.json"
    doc = json.loads(path.read_text())
    names = sorted(doc["providers"])
    out = HEAD + "namespace detail {\n"
    for k in names:
        out += f"\ninline ProviderEntry {function_name(k)}() {{\n  return ProviderEntry" + provider(k, doc["providers"][k]) + ";\n}\n"
    out += "\n}  // namespace detail\n\n"
    out += "/// The built-in table's document, built anew on each call (`builtin_table()` resolves it once).\n"
    out += "inline TableDocument builtin_table_document() {\n  return TableDocument{{\n"
    out += ",\n".join(f"      detail::{function_name(k)}()" for k in names) + "}};\n}\n"
    sys.stdout.write(HEAD + out[len(HEAD):] + TAIL)


if __name__ == "__main__":
    main()
