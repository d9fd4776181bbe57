#!/usr/bin/env python3
"""Lists the library's functions longer than a limit (80 lines by default), longest first.

    tools/function_lengths.py [--limit N] [--all] [--check] [paths…]   (default path: include/governed)

How a function is measured: from the line where its declaration starts (after any
`template <…>` line and its doc comment) to the line of its closing brace, both included;
blank lines, comments and lambdas inside it count as its lines. Member functions are named
with their class (`State::build`). A function declared without a body is not listed.

How a function is found: the text is read as C++ tokens by a brace matcher, not a compiler.
Comments, string and character literals (raw strings included), digit separators (1'000)
and preprocessor lines are blanked first, so no brace inside them counts, and a brace inside
a declaration's parentheses (a default argument `= {}`) opens nothing. A `{` at namespace
or class scope opens a function body when what precedes it (back to the last `;`, `{` or `}`)
has a parameter list and is not a class, an enum, a namespace, a concept or a `requires`
expression; every brace inside a body belongs to that function. The matcher is exact for
code formatted as this project's is (clang-format); it does not expand macros.

Exempt files: a file whose functions may be long is listed in EXEMPT with its reason; its
long functions are listed, marked as exempt, and do not fail --check. None is exempt: the
provider dialects' code, the last that was, has one home per dialect (dialect/), where each
direction of each dialect is its own short functions, and governed-sim's replies
(sim/replies.hpp) are split per provider.

Exit status: 0, or 1 when --check is given and a function outside the exempt files is over
the limit. CTest runs `--check` as the test `function_lengths` (tests/CMakeLists.txt).
"""

import argparse
import os
import re
import sys


# Files (relative to include/governed) whose functions may be long, each with why.
EXEMPT = {}


def exemption(path):
    """The reason `path` is exempt, or None."""
    posix = path.replace(os.sep, "/")
    for suffix, reason in EXEMPT.items():
        if posix == suffix or posix.endswith("/" + suffix):
            return reason
    return None


def blank_non_code(text):
    """The text with comments, literals and preprocessor lines replaced by spaces; line
    breaks are kept, so line numbers stay."""
    out = []
    i, n = 0, len(text)
    at_line_start = True
    while i < n:
        c = text[i]
        if at_line_start and c == "#":
            # A preprocessor line, with its continuations.
            while i < n and text[i] != "\n":
                if text[i] == "\\" and i + 1 < n and text[i + 1] == "\n":
                    out.append(" \n")
                    i += 2
                    continue
                out.append(" ")
                i += 1
            continue
        if c == "\n":
            at_line_start = True
            out.append(c)
            i += 1
            continue
        if not c.isspace():
            at_line_start = False
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
            continue
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
            continue
        raw = re.match(r'(?:u8|u|U|L)?R"([^()\\\s]{0,16})\(', text[i:i + 24])
        if raw and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            end = text.find(")" + raw.group(1) + '"', i + raw.end())
            j = n if end < 0 else end + len(raw.group(1)) + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
            continue
        if c == "'" and i > 0 and text[i - 1].isalnum() and i + 1 < n and text[i + 1].isalnum():
            out.append(" ")  # a digit separator, or the end of a u8'x' prefix
            i += 1
            continue
        if c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
            continue
        out.append(c)
        i += 1
    return "".join(out)


def strip_template_headers(header):
    """`header` without its leading `template <…>` clauses (angle brackets matched)."""
    while True:
        m = re.match(r"\s*template\s*<", header)
        if not m:
            return header
        depth, i = 1, m.end()
        while i < len(header) and depth:
            depth += {"<": 1, ">": -1}.get(header[i], 0)
            i += 1
        header = header[i:]


def top_level_paren(header):
    """Index of the first '(' outside any parentheses, or -1."""
    return header.find("(")


def classify(header):
    """'namespace', 'class', 'function' or 'other' for the text before a '{'."""
    h = strip_template_headers(header).strip()
    if re.match(r"(inline\s+)?namespace\b", h) or re.match(r'extern\s+"', header.strip()):
        return "namespace", None
    paren = top_level_paren(h)
    before_paren = h if paren < 0 else h[:paren]
    m = re.search(r"\b(class|struct|union|enum)\b(\s+(class|struct))?\s*(\[\[[^\]]*\]\]\s*)?(\w+)?", before_paren)
    if m and not re.search(r"=", before_paren[: m.start()]):
        return "class", m.group(5) or "<anonymous>"
    if paren < 0 or re.search(r"\bconcept\b", h) or re.search(r"\brequires\s*(\([^)]*\))?\s*$", h):
        return "other", None
    name = re.search(r"(operator\s*(\(\)|[^\s(]+)|~?\w+)\s*$", h[:paren])
    if not name:
        return "other", None  # a parenthesised initializer, a lambda at namespace scope
    return "function", name.group(1)


def functions(path):
    """(first line, last line, qualified name) of each function body in the file at `path`."""
    with open(path, encoding="utf-8", errors="replace") as f:
        code = blank_non_code(f.read())
    found = []
    stack = []  # (kind, name, start line)
    header_start = 0
    line = 1
    line_at = []  # line number of each character, built lazily
    for ch in code:
        line_at.append(line)
        if ch == "\n":
            line += 1
    in_function = 0  # depth of braces inside the current function body
    in_parameters = 0  # braces inside a declaration's parentheses: `std::string_view p = {}`
    for i, ch in enumerate(code):
        if ch not in "{};":
            continue
        if not in_function and ch in "{}" and (in_parameters or code.count("(", header_start, i) > code.count(")", header_start, i)):
            in_parameters += 1 if ch == "{" else -1
            continue
        if in_function:
            if ch == "{":
                in_function += 1
            elif ch == "}":
                in_function -= 1
                if in_function == 0:
                    kind, name, start = stack.pop()
                    found.append((start, line_at[i], name))
                    header_start = i + 1
            continue
        if ch == ";":
            header_start = i + 1
            continue
        if ch == "}":
            if stack:
                stack.pop()
            header_start = i + 1
            continue
        header = code[header_start:i]
        kind, name = classify(header)
        if kind == "function":
            body = strip_template_headers(header)
            offset = header_start + (len(header) - len(body))
            first = offset + (len(body) - len(body.lstrip()))
            scope = [n for k, n, _ in stack if k == "class"]
            stack.append((kind, "::".join(scope + [name]), line_at[min(first, i)]))
            in_function = 1
        else:
            stack.append((kind, name, line_at[i]))
        header_start = i + 1
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", default=["include/governed"])
    parser.add_argument("--limit", type=int, default=80)
    parser.add_argument("--all", action="store_true", help="list every function, not only the long ones")
    parser.add_argument("--check", action="store_true", help="exit 1 when a function outside the exempt files is over the limit")
    args = parser.parse_args()
    files = []
    for p in args.paths:
        if os.path.isdir(p):
            for root, _, names in os.walk(p):
                files += [os.path.join(root, n) for n in names if n.endswith((".hpp", ".h", ".cpp", ".ipp"))]
        else:
            files.append(p)
    rows = []
    for f in sorted(files):
        for first, last, name in functions(f):
            rows.append((last - first + 1, f, first, name))
    rows.sort(key=lambda r: (-r[0], r[1], r[2]))
    over = [r for r in rows if r[0] > args.limit]
    failing = [r for r in over if not exemption(r[1])]
    for length, f, first, name in rows if args.all else over:
        reason = exemption(f) if length > args.limit else None
        print(f"{length:5d}  {f}:{first}  {name}" + (f"  (exempt: {reason})" if reason else ""))
    print(f"{len(over)} of {len(rows)} functions over {args.limit} lines, {len(over) - len(failing)} of them exempt",
          file=sys.stderr)
    return 1 if args.check and failing else 0


if __name__ == "__main__":
    sys.exit(main())
