"""Log lines that cannot be forged: control characters in logged values are escaped.

A request path such as `/api/documents/a%0AFAKE LOG` decodes to a newline; written raw, it would
start a line of the attacker's choosing (and `%1B` would pass terminal escapes through).
`escape` makes such a value one visible line; `EscapingFilter`, installed on the CLI's and the
server's log handlers, does the same for every record's formatted message (a traceback that
follows it keeps its own lines).
"""

from __future__ import annotations

import logging
import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_char(m: re.Match[str]) -> str:
    ch = m.group()
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def escape(value: object) -> str:
    """`value` as text with every control character (and line separator) escaped."""
    return _CONTROL.sub(_escape_char, str(value))


class EscapingFilter(logging.Filter):
    """Escapes the formatted message of every record passing through a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: let logging report it as it would
            return True
        if _CONTROL.search(message):
            record.msg, record.args = escape(message), None
        return True


def install(logger: logging.Logger | None = None) -> None:
    """Add an EscapingFilter to each handler of `logger` (the root logger) that lacks one."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, EscapingFilter) for f in handler.filters):
            handler.addFilter(EscapingFilter())
