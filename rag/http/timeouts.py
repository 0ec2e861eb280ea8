"""A header read timeout for uvicorn, which has none of its own.

uvicorn closes idle keep-alive connections (`timeout_keep_alive`) but waits forever for the
headers of a request that has begun to arrive, so a client trickling a partial request holds
its connection open indefinitely. This protocol gives every request `header_timeout` seconds,
counted from the connection's start or the previous response's end, to deliver its headers;
past that the connection gets a 408 and is closed. (Bodies have their own deadline,
RAG_BODY_TIMEOUT, in rag.http.guard.)
"""

from __future__ import annotations

import asyncio
import logging

from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger(__name__)

_TIMEOUT_BODY = (
    b'{"error": {"code": "request_timeout", "message": "the request headers did not arrive"}}'
)
_TIMEOUT_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\nconnection: close\r\n"
    b"content-length: " + str(len(_TIMEOUT_BODY)).encode() + b"\r\n\r\n" + _TIMEOUT_BODY
)


class HeaderTimeoutH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request's headers."""

    header_timeout: float = 10.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._header_timer: asyncio.TimerHandle | None = None
        self._arm_header_timer()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        timer = getattr(self, "_header_timer", None)
        if timer is not None:
            timer.cancel()
        super().connection_lost(exc)

    def _arm_header_timer(self) -> None:
        if self.transport.is_closing():
            return
        timer = getattr(self, "_header_timer", None)
        if timer is not None:
            timer.cancel()
        armed_for = self.cycle
        self._header_timer = self.loop.call_later(
            self.header_timeout, self._header_deadline, armed_for
        )

    def _header_deadline(self, armed_for: object) -> None:
        self._header_timer = None
        if self.transport.is_closing():
            return
        if self.cycle is not armed_for and self.cycle is not None:
            return  # a request's headers arrived since: its body has its own deadline
        if self.cycle is not None and not self.cycle.response_complete:
            return
        client = f"{self.client[0]}:{self.client[1]}" if self.client else "a client"
        log.info(
            "closing the connection of %s: no request headers within %gs",
            client,
            self.header_timeout,
        )
        self.transport.write(_TIMEOUT_RESPONSE)
        self.transport.close()


def protocol_class(header_timeout: float) -> type[HeaderTimeoutH11Protocol]:
    """The protocol class to pass as uvicorn's `http` setting."""
    return type(
        "HeaderTimeoutH11Protocol", (HeaderTimeoutH11Protocol,), {"header_timeout": header_timeout}
    )
