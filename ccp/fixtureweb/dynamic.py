"""The trouble site's dynamic endpoints: any status, huge and slow bodies, Retry-After,
redirects (what the harvester must survive)."""

from __future__ import annotations

import threading
from http import HTTPStatus
from typing import Any, Iterator
from urllib.parse import parse_qsl

from .response import Response

DEFAULT_HUGE_BYTES = 11 * 1024 * 1024
MAX_HUGE_BYTES = 512 * 1024 * 1024
MAX_SLOW_SECONDS = 90.0


def _int_arg(query: str, name: str, default: float) -> float:
    for k, v in parse_qsl(query):
        if k == name:
            try:
                return float(v)
            except ValueError:
                return default
    return default


def _huge_parts(total: int) -> tuple[bytes, bytes, bytes, int, int]:
    head = (
        b'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>A huge page</title>'
        b"</head>\n<body>\n<h1>A huge page</h1>\n"
    )
    tail = b"</body></html>\n"
    para = (
        b"<p>Circular economy filler text: reuse, repair, refurbish, remanufacture and recycle "
        b"materials so that they stay in use for as long as possible.</p>\n"
    )
    room = max(0, total - len(head) - len(tail))
    return head, tail, para, room // len(para), room % len(para)


def _huge_stream(total: int, stop: threading.Event) -> Iterator[bytes]:
    head, tail, para, count, pad = _huge_parts(total)
    yield head
    block = para * 512
    full, rest = divmod(count, 512)
    for _ in range(full):
        if stop.is_set():
            return
        yield block
    if rest:
        yield para * rest
    if pad:
        yield b" " * (pad - 1) + b"\n"
    yield tail


def _huge_length(total: int) -> int:
    head, tail, para, count, pad = _huge_parts(total)
    return len(head) + len(tail) + len(para) * count + pad


def trouble_dynamic(rt: Any, path: str, query: str) -> Response | None:
    html = "text/html; charset=utf-8"
    if path.startswith("/status/"):
        try:
            code = int(path[len("/status/"):])
        except ValueError:
            return None
        if not 100 <= code <= 599 or 100 <= code < 200:
            return None
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "Status"
        if code in (204, 304):
            return Response(code, [])
        body = f"<!DOCTYPE html><html><body><h1>{code} {phrase}</h1></body></html>\n".encode()
        return Response(code, [("Content-Type", html)], body)
    if path in ("/huge", "/huge-chunked"):
        total = int(min(max(_int_arg(query, "bytes", DEFAULT_HUGE_BYTES), 0), MAX_HUGE_BYTES))
        stream = _huge_stream(total, rt.web._stopping)
        length = _huge_length(total) if path == "/huge" else None
        return Response(200, [("Content-Type", html)], stream=stream, length=length)
    if path == "/slow":
        seconds = min(max(_int_arg(query, "seconds", 5.0), 0.0), MAX_SLOW_SECONDS)
        if rt.web._stopping.wait(seconds):
            return Response(0)  # stopping: drop the connection without an answer
        body = b"<!DOCTYPE html><html><body><h1>Slow page</h1><p>Finally.</p></body></html>\n"
        return Response(200, [("Content-Type", html)], body)
    if path == "/retry-after":
        seconds = int(_int_arg(query, "seconds", 5))
        body = b"<!DOCTYPE html><html><body><h1>429 Too Many Requests</h1></body></html>\n"
        return Response(429, [("Retry-After", str(seconds)), ("Content-Type", html)], body)
    if path == "/redirect":
        target = dict(parse_qsl(query)).get("to", "/")
        location = rt.site.url(target) if target.startswith("/") else target
        return Response(301, [("Location", location), ("Content-Type", "text/plain")], b"Moved\n")
    return None
