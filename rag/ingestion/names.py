"""The rules for a document's name (its `source`), however it arrives (a JSON `source`, an
uploaded file's name, a name derived from a URL or a .jsonl line), and for the text requests
carry, as patterns that JSON Schema (ECMA regex), pydantic (Rust regex) and Python read alike."""

from __future__ import annotations

import re

MAX_SOURCE_CHARS = 200
# No path separators, no C0/C1 control characters (tab included), no line separators.
_FORBIDDEN = "/\\\\\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029"
SOURCE_PATTERN = f"^[^{_FORBIDDEN}]+$"  # what pydantic checks (Rust regex: no look-around)
SOURCE_SCHEMA_PATTERN = f"^(?!\\.{{1,2}}$)[^{_FORBIDDEN}]+$"  # the same rule for JSON Schema
_BAD_CHAR = re.compile(f"[{_FORBIDDEN}]")

# Blank: Python's whitespace (str.isspace) and U+FEFF, spelled out. Text holds no NUL anywhere;
# required text (a question, a document's body) holds at least one character that is not blank.
BLANK_CHARS = (
    "\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029"
    "\\u202f\\u205f\\u3000\\ufeff"
)
NON_BLANK_PATTERN = f"[^{BLANK_CHARS}]"  # found anywhere (re.search)
NO_NUL_PATTERN = "^[^\\x00]*$"
NON_BLANK_TEXT_PATTERN = f"^[^\\x00]*[^{BLANK_CHARS}\\x00][^\\x00]*$"


def source_problem(name: str) -> str | None:
    """Why `name` cannot be a document's name, or None when it can."""
    if not name or not name.strip():
        return "must not be empty"
    if len(name) > MAX_SOURCE_CHARS:
        return f"is too long ({len(name)} characters; the limit is {MAX_SOURCE_CHARS})"
    bad = _BAD_CHAR.search(name)
    if bad is not None:
        return f"must not contain {bad.group()!r} (path separators or control characters)"
    if name.strip() in (".", ".."):
        return "must not be '.' or '..'"
    return None
