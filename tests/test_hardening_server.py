"""Slow clients and too many connections (issue 15, item 9), over real sockets: uvicorn with
the settings `rag serve` gives it, in a thread, in front of a small ASGI app."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn

from rag.config import Settings
from rag.http.guard import GuardMiddleware
from rag.http.server import uvicorn_config

SOCKET_WAIT = 30.0  # a liveness bound for the server's answer, not a latency claim


async def echo(scope, receive, send) -> None:
    """Answers 200 with the size of the request body it read."""
    if scope["type"] != "http":
        return
    size, more = 0, True
    while more:
        message = await receive()
        size += len(message.get("body", b""))
        more = message.get("more_body", False)
    body = json.dumps({"read": size}).encode()
    headers = [(b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture
def serve() -> Iterator:
    servers: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(settings: Settings) -> int:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        config = uvicorn_config(GuardMiddleware(echo, settings), settings, "127.0.0.1", port)
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + SOCKET_WAIT
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        assert server.started
        servers.append((server, thread))
        return port

    yield start
    for server, thread in servers:
        server.should_exit = True
        thread.join(SOCKET_WAIT)


def connect(port: int) -> socket.socket:
    conn = socket.create_connection(("127.0.0.1", port), timeout=SOCKET_WAIT)
    conn.settimeout(SOCKET_WAIT)
    return conn


def read_response(conn: socket.socket) -> bytes:
    """One response with a content-length, leaving the connection open."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += conn.recv(65536)
    head, body = data.split(b"\r\n\r\n", 1)
    length = next(
        int(line.split(b":")[1])
        for line in head.lower().split(b"\r\n")[1:]
        if line.startswith(b"content-length:")
    )
    while len(body) < length:
        body += conn.recv(65536)
    return head + b"\r\n\r\n" + body


def read_all(conn: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    data = b""
    while chunk := conn.recv(65536):
        data += chunk
    return data


def test_uvicorn_gets_the_limits_from_settings() -> None:
    settings = Settings(keepalive_timeout=7, max_connections=33, header_timeout=4.5)
    config = uvicorn_config(echo, settings, "127.0.0.1", 8000)
    assert config.timeout_keep_alive == 7 and config.limit_concurrency == 33
    assert config.http.header_timeout == 4.5  # type: ignore[union-attr]


def test_partial_headers_are_timed_out(serve) -> None:
    port = serve(Settings(header_timeout=0.3))
    conn = connect(port)
    conn.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")  # and never the rest
    reply = read_all(conn)
    assert reply.startswith(b"HTTP/1.1 408 "), reply
    assert b'"request_timeout"' in reply


def test_headers_after_a_kept_alive_response_are_timed_out_too(serve) -> None:
    port = serve(Settings(header_timeout=0.3, keepalive_timeout=60))
    conn = connect(port)
    conn.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert read_response(conn).startswith(b"HTTP/1.1 200 ")
    conn.sendall(b"GET / HTTP/1.1\r\nHo")
    assert read_all(conn).startswith(b"HTTP/1.1 408 ")


def test_a_slow_request_in_progress_is_not_cut_by_the_header_timer(serve) -> None:
    port = serve(Settings(header_timeout=0.2, body_timeout=30))
    conn = connect(port)
    conn.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12345")
    time.sleep(0.5)  # past the header deadline, inside the body deadline
    conn.sendall(b"67890")
    reply = read_response(conn)
    assert reply.startswith(b"HTTP/1.1 200 ") and reply.endswith(b'{"read": 10}'), reply


def test_a_partial_body_is_timed_out(serve) -> None:
    port = serve(Settings(body_timeout=0.3))
    conn = connect(port)
    conn.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789")
    reply = read_all(conn)
    assert reply.startswith(b"HTTP/1.1 408 "), reply
    assert b"RAG_BODY_TIMEOUT" in reply


def test_connections_past_the_limit_get_503(serve) -> None:
    port = serve(Settings(max_connections=3, header_timeout=60, keepalive_timeout=60))
    held = [connect(port), connect(port)]  # with the next one: 3 open, the limit
    for c in held:  # answered, so accepted; then idle on keep-alive
        c.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_response(c).startswith(b"HTTP/1.1 200 ")
    conn = connect(port)
    conn.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert read_all(conn).startswith(b"HTTP/1.1 503 ")
    for c in held:
        c.close()
