"""Observability: an access-log line and Prometheus metrics for every request."""

from __future__ import annotations

import json
import logging
import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rag.logsafe import escape

access_log = logging.getLogger("rag.access")
log = logging.getLogger(__name__)

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """Collectors in a registry of their own, so that every app (and test) starts at zero."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "rag_http_requests",
            "HTTP requests by method, route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "rag_http_request_duration_seconds",
            "HTTP request latency by method and route template",
            ["method", "route"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "rag_http_requests_in_flight", "requests being served", registry=self.registry
        )
        self.answers = Counter(
            "rag_answers",
            "answers given, by whether they abstained",
            ["abstained"],
            registry=self.registry,
        )
        self.documents = Gauge("rag_index_documents", "documents indexed", registry=self.registry)
        self.chunks = Gauge("rag_index_chunks", "chunks indexed", registry=self.registry)
        self.ready = Gauge(
            "rag_ready", "1 once the index and model are loaded", registry=self.registry
        )


def route_template(scope: Scope) -> str:
    """The matched route's path template (bounded label values), or "unmatched"."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


_INTERNAL_ERROR = json.dumps(
    {"error": {"code": "internal_error", "message": "internal server error"}}
).encode()


class ObservabilityMiddleware:
    """Times each request, logs one access line, records metrics, and turns a crash into a
    JSON 500 (the traceback goes to the log, never to the client)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_wrapper(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)
            response_started = True

        self.metrics.in_flight.inc()
        try:
            await self.app(scope, receive, send_wrapper)
        except Exception:
            log.exception(
                "unhandled error on %s %s", scope.get("method"), escape(scope.get("path", ""))
            )
            status = 500
            if not response_started:
                await send(
                    {
                        "type": "http.response.start",
                        "status": 500,
                        "headers": [(b"content-type", b"application/json")],
                    }
                )
                await send({"type": "http.response.body", "body": _INTERNAL_ERROR})
        finally:
            self.metrics.in_flight.dec()
            elapsed = time.perf_counter() - started
            method = str(scope.get("method", ""))
            route = route_template(scope)
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(elapsed)
            access_log.info(
                "%s %s %d %.1fms", method, escape(scope.get("path", "")), status, elapsed * 1000
            )
