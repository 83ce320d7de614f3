"""A real HTTP server on 127.0.0.1 for tests: serves fixture bytes with validators, and the
faults real servers have (slow, hanging, redirecting, compressing, erroring, huge)."""

from __future__ import annotations

import gzip
import hashlib
import os
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

Handler = Callable[["_RequestHandler", "FeedServer"], None]


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str | None = "application/rss+xml"
    headers: dict[str, str] = field(default_factory=dict)
    etag: bool = True
    last_modified: str | None = "Wed, 01 Jan 2025 00:00:00 GMT"
    gzip: bool = False
    delay: float = 0.0
    handler: Handler | None = None


@dataclass
class Hit:
    path: str
    headers: dict[str, str]


class _RequestHandler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        owner = self.server.owner
        with owner.lock:
            owner.in_flight += 1
            owner.max_in_flight = max(owner.max_in_flight, owner.in_flight)
        try:
            self._get(owner)
        finally:
            with owner.lock:
                owner.in_flight -= 1

    def _get(self, owner: FeedServer) -> None:
        owner.hits.append(Hit(self.path, {k.lower(): v for k, v in self.headers.items()}))
        route = owner.routes.get(self.path.split("?")[0]) or owner.routes.get(self.path)
        if route is None:
            self._send(404, b"not found", {"Content-Type": "text/plain"})
            return
        if route.delay and owner.stopping.wait(route.delay):
            return
        if route.handler is not None:
            route.handler(self, owner)
            return
        headers = dict(route.headers)
        if route.content_type:
            headers["Content-Type"] = route.content_type
        body = route.body
        if route.status == 200:
            tag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"' if route.etag else None
            if tag:
                headers["ETag"] = tag
            if route.last_modified:
                headers["Last-Modified"] = route.last_modified
            inm = self.headers.get("If-None-Match")
            ims = self.headers.get("If-Modified-Since")
            if (tag and inm == tag) or (not tag and ims and ims == route.last_modified):
                self._send(304, b"", {k: v for k, v in headers.items() if k != "Content-Type"})
                return
        if route.gzip:
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        self._send(route.status, body, headers)

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: FeedServer

    def handle_error(self, request: object, client_address: object) -> None:
        # Clients that hang up, resets we caused on purpose, TLS handshakes refused: expected.
        exc = sys.exc_info()[1]
        if not isinstance(exc, OSError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class FeedServer:
    """Start with `FeedServer()`, add routes, use `url(path)`, call `close()` at the end."""

    def __init__(self, tls: bool = False, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, Route] = {}
        self.hits: list[Hit] = []
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self.host = host
        self.server = _Server((host, 0), _RequestHandler)
        self.server.owner = self
        self.scheme = "http"
        if tls:
            # A certificate from a CA nobody trusts: every client must refuse it.
            import ssl

            import trustme

            cert = trustme.CA().issue_cert("127.0.0.1", "localhost")
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            cert.configure_cert(context)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            self.scheme = "https"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def url(self, path: str, host: str | None = None) -> str:
        return f"{self.scheme}://{host or self.host}:{self.port}{path}"

    def route(self, path: str, **kwargs: object) -> str:
        self.routes[path] = Route(**kwargs)  # type: ignore[arg-type]
        return self.url(path)

    def file(self, path: str, file: Path, **kwargs: object) -> str:
        return self.route(path, body=file.read_bytes(), **kwargs)

    def hits_for(self, path: str) -> list[Hit]:
        return [h for h in self.hits if h.path.split("?")[0] == path]

    def close(self) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()


# Behaviours for Route(handler=...).


def redirect(location: str, status: int = 301) -> Handler:
    def handle(req: _RequestHandler, owner: FeedServer) -> None:
        target = location if "://" in location else owner.url(location)
        req._send(status, b"", {"Location": target})

    return handle


def hang() -> Handler:
    """Accept the connection and never answer."""

    def handle(req: _RequestHandler, owner: FeedServer) -> None:
        owner.stopping.wait(60)

    return handle


def trickle(body: bytes, interval: float = 1.0, headers_first: bool = True) -> Handler:
    """Send a byte every `interval` seconds (the status line too, when headers_first is False)."""

    def handle(req: _RequestHandler, owner: FeedServer) -> None:
        payload = (
            b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        start = 0
        if headers_first:
            start = payload.index(b"\r\n\r\n") + 4
            req.wfile.write(payload[:start])
            req.wfile.flush()
        for i in range(start, len(payload)):
            if owner.stopping.wait(interval):
                return
            try:
                req.wfile.write(payload[i : i + 1])
                req.wfile.flush()
            except OSError:
                return

    return handle


def endless(chunk: bytes = b"<item><title>x</title></item>" * 100) -> Handler:
    """A chunked response that never ends."""

    def handle(req: _RequestHandler, owner: FeedServer) -> None:
        req.send_response(200)
        req.send_header("Content-Type", "application/rss+xml")
        req.send_header("Transfer-Encoding", "chunked")
        req.end_headers()
        start = b"<rss><channel>"
        req.wfile.write(f"{len(start):x}\r\n".encode() + start + b"\r\n")
        try:
            while not owner.stopping.is_set():
                req.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        except OSError:
            return

    return handle


def reset_midway(body: bytes) -> Handler:
    """Promise the whole body, send half, then reset the connection."""

    def handle(req: _RequestHandler, owner: FeedServer) -> None:
        req.send_response(200)
        req.send_header("Content-Type", "application/rss+xml")
        req.send_header("Content-Length", str(len(body)))
        req.end_headers()
        req.wfile.write(body[: len(body) // 2])
        req.wfile.flush()
        sock = req.connection
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        # Close the descriptor itself (the handler's file objects would keep it open): with a
        # zero linger the kernel answers with RST.
        os.close(sock.detach())

    return handle


def huge(total: int, chunk: int = 1 << 16) -> Handler:
    """A body of `total` bytes, generated as it is sent (a 2 GiB body costs no memory)."""

    def handle(req: _RequestHandler, owner: FeedServer) -> None:
        req.send_response(200)
        req.send_header("Content-Type", "application/rss+xml")
        req.send_header("Content-Length", str(total))
        req.end_headers()
        block = b"<!-- padding -->" * (chunk // 16)
        sent = 0
        try:
            while sent < total and not owner.stopping.is_set():
                req.wfile.write(block)
                sent += len(block)
        except OSError:
            return

    return handle


def gzip_bomb(decompressed: int = 1 << 30) -> Handler:
    """A small gzip body that inflates to `decompressed` bytes of zeros."""
    compressor_input = b"\x00" * (1 << 20)
    import zlib

    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [comp.compress(compressor_input) for _ in range(decompressed // len(compressor_input))]
    parts.append(comp.flush())
    bomb = b"".join(parts)

    def handle(req: _RequestHandler, owner: FeedServer) -> None:
        req._send(200, bomb, {"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"})

    return handle


def slow_start(seconds: float, route: Route) -> Route:
    route.delay = seconds
    return route


def now_http_date(offset: float = 0) -> str:
    from email.utils import formatdate

    return formatdate(time.time() + offset, usegmt=True)
