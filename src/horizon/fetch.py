"""The HTTP layer: polite, bounded GETs with our own redirect, decompression and address checks.

Every limit is enforced here rather than trusted to the server: bodies are counted after
decompression, redirects are followed one hop at a time (only http/https, never from a public
address into a private one unless the source allows it), and failures are classified into the
error classes `sources list` shows.
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import ipaddress
import re
import socket
import ssl
import zlib
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import brotli
import certifi
import httpx

from horizon import __version__
from horizon.config import FetchSettings
from horizon.errors import FetchError
from horizon.textutil import human_size, terminal_safe

PERMANENT = (301, 308)
REDIRECTS = (301, 302, 303, 307, 308)
_CHUNK = 64 * 1024


def user_agent(settings: FetchSettings, contact: str | None) -> str:
    """The descriptive User-Agent, with the deployment's contact URL when configured."""
    if settings.user_agent:
        return settings.user_agent
    contact_part = f"; +{contact}" if contact else ""
    return f"horizon/{__version__} (horizon-scanning feed reader{contact_part})"


@dataclass
class Response:
    """A completed GET: final URL, status, headers, the decoded body and the redirects taken."""

    url: str
    status: int
    headers: dict[str, str]
    body: bytes = b""
    redirects: list[tuple[int, str, str]] = field(default_factory=list)

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    def permanent_target(self) -> str | None:
        """Where the leading run of permanent redirects points, if the chain began with one."""
        target = None
        for status, _src, dst in self.redirects:
            if status not in PERMANENT:
                break
            target = dst
        return target


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    delta = (when - (now or datetime.now(UTC))).total_seconds()
    return max(delta, 0.0)


def parse_max_age(cache_control: str | None) -> float | None:
    """max-age (or s-maxage) seconds from Cache-Control; None for no-cache/no-store or absent."""
    if not cache_control:
        return None
    match = re.search(r"(?:s-)?max-age\s*=\s*\"?(\d+)", cache_control, re.IGNORECASE)
    return float(match.group(1)) if match else None


def address_is_private(address: str) -> bool:
    """True for loopback, private, link-local, reserved and other non-public addresses."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


async def host_is_private(host: str) -> bool | None:
    """Whether a host name resolves to any non-public address (None if it does not resolve)."""
    try:
        ipaddress.ip_address(host.strip("[]"))
        return address_is_private(host.strip("[]"))
    except ValueError:
        pass
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return None
    return any(address_is_private(str(info[4][0])) for info in infos)


class _Start:
    """Where a request starts from: a request from a public address may not be led (by a
    redirect, or a link in what a server sent) to a private one, unless the source allows it."""

    def __init__(
        self, url: str, allow_private: bool, is_private: Callable[[str], Awaitable[bool | None]]
    ) -> None:
        self.url, self.allow_private, self.is_private = url, allow_private, is_private
        self._private: bool | None = None

    async def refuse_private(self, target: str, what: str) -> None:
        if self.allow_private:
            return
        if self._private is None:
            self._private = bool(await self.is_private(urlsplit(self.url).hostname or ""))
        host = urlsplit(target).hostname or ""
        if not self._private and await self.is_private(host):
            raise FetchError(
                "blocked",
                f"{terminal_safe(what)[:250]} to the private or loopback address {host!r} "
                "refused (set allow_private: true for intranet sources)",
            )


class _Decoder:
    """Content-Encoding decoding with the output bounded at every step (no gzip bombs)."""

    def __init__(self, encoding: str, limit: int) -> None:
        self.encoding = encoding
        self.limit = limit
        self._zlib: zlib._Decompress | None = None
        self._brotli: brotli.Decompressor | None = None
        if encoding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS)
            self._raw_deflate_checked = False
        elif encoding == "br":
            self._brotli = brotli.Decompressor()

    def decode(self, data: bytes) -> list[bytes]:
        step = min(self.limit + 1, _CHUNK * 16)
        out: list[bytes] = []
        try:
            if self._zlib is not None:
                if self.encoding == "deflate" and not self._raw_deflate_checked:
                    self._raw_deflate_checked = True
                    try:
                        out.append(self._zlib.decompress(data, step))
                    except zlib.error:
                        # Some servers send raw deflate without the zlib wrapper.
                        self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                        out.append(self._zlib.decompress(data, step))
                else:
                    out.append(self._zlib.decompress(data, step))
                while self._zlib.unconsumed_tail:
                    out.append(self._zlib.decompress(self._zlib.unconsumed_tail, step))
                    if sum(map(len, out)) > self.limit:
                        break
            elif self._brotli is not None:
                out.append(self._brotli.process(data, output_buffer_limit=step))
                while not self._brotli.can_accept_more_data():
                    out.append(self._brotli.process(b"", output_buffer_limit=step))
                    if sum(map(len, out)) > self.limit:
                        break
            else:
                out.append(data)
        except (zlib.error, brotli.error) as exc:
            raise FetchError("parse", f"body is not valid {self.encoding} data: {exc}") from None
        return out


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One verifying TLS context per process: loading the CA bundle costs ~50 ms each time."""
    return ssl.create_default_context(cafile=certifi.where())


class Http:
    """One shared async client for a pull: connection pooling, per-host limits, safety checks."""

    def __init__(self, settings: FetchSettings, contact: str | None = None) -> None:
        self.settings = settings
        timeout = httpx.Timeout(
            connect=settings.connect_timeout,
            read=settings.read_timeout,
            write=settings.read_timeout,
            pool=settings.budget,
        )
        self.client = httpx.AsyncClient(
            verify=_tls_context(),
            timeout=timeout,
            follow_redirects=False,
            trust_env=True,
            limits=httpx.Limits(
                max_connections=settings.concurrency * 2,
                max_keepalive_connections=settings.concurrency,
            ),
            headers={
                "User-Agent": user_agent(settings, contact),
                "Accept": "application/rss+xml, application/atom+xml, application/feed+json, "
                "application/rdf+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5",
                "Accept-Encoding": "gzip, deflate, br",
            },
        )
        self._hosts: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(settings.per_host)
        )
        self._private: dict[str, bool | None] = {}

    async def aclose(self) -> None:
        await self.client.aclose()

    async def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        headers: dict[str, str] | None = None,
        allow_private: bool = False,
        max_bytes: int | None = None,
        on_wait: Callable[[float], None] | None = None,
        origin: str | None = None,
    ) -> Response:
        """GET with redirects handled here; raises FetchError with the error class on failure.
        `on_wait` is told how long the request queued for its host's slot (so that time can be
        left out of the source's budget). `origin` is the configured URL a link taken from
        content came from: such a link, like a redirect, may not lead from a public address
        into a private one."""
        limit = max_bytes or self.settings.max_bytes
        request_headers = dict(headers or {})
        if etag:
            request_headers["If-None-Match"] = etag
        if last_modified:
            request_headers["If-Modified-Since"] = last_modified
        # The starting point's address is looked up only when a redirect or a link needs it.
        start = _Start(origin or url, allow_private, self._is_private)
        if origin:
            await start.refuse_private(url, f"link from the public source {origin}")
        redirects: list[tuple[int, str, str]] = []
        visited = {url}
        current = url
        while True:
            status, resp_headers, body = await self._get_once(
                current, request_headers, limit, on_wait
            )
            if status in REDIRECTS and "location" in resp_headers:
                target = urljoin(current, resp_headers["location"].strip())
                redirects.append((status, current, target))
                await self._check_redirect(current, target, start, visited, len(redirects))
                visited.add(target)
                current = target
                continue
            response = Response(current, status, resp_headers, body, redirects)
            _raise_for_status(response)
            return response

    async def _check_redirect(
        self, source: str, target: str, start: _Start, visited: set[str], hops: int
    ) -> None:
        parts = urlsplit(target)
        shown = terminal_safe(target)[:200]
        if parts.scheme not in ("http", "https"):
            raise FetchError(
                "blocked",
                f"redirect from {source} to {shown!r} refused: only http and https are followed",
            )
        if target in visited:
            raise FetchError("redirect", f"redirect loop: {source} -> {shown} was already visited")
        if hops > self.settings.max_redirects:
            raise FetchError(
                "redirect",
                f"more than {self.settings.max_redirects} redirects (last: {source} -> {shown})",
            )
        await start.refuse_private(target, "redirect from a public address")

    async def _is_private(self, host: str) -> bool | None:
        """host_is_private, looked up once per host for the life of this client (one pull)."""
        if host not in self._private:
            self._private[host] = await host_is_private(host)
        return self._private[host]

    async def _get_once(
        self,
        url: str,
        headers: dict[str, str],
        limit: int,
        on_wait: Callable[[float], None] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        host = urlsplit(url).hostname or ""
        loop = asyncio.get_running_loop()
        queued = loop.time()
        async with self._hosts[host]:
            if on_wait is not None:
                on_wait(loop.time() - queued)
            try:
                request = self.client.build_request("GET", url, headers=headers)
                response = await self.client.send(request, stream=True)
            except httpx.HTTPError as exc:
                raise classify(exc, url) from None
            try:
                resp_headers = {k.lower(): v for k, v in response.headers.items()}
                if not 200 <= response.status_code < 300:
                    # Error pages and redirects: read a little for the record, never the whole.
                    body = await _read_body(response, min(limit, 64 * 1024), strict=False)
                else:
                    body = await _read_body(response, limit, strict=True)
                return response.status_code, resp_headers, body
            except httpx.HTTPError as exc:
                raise classify(exc, url) from None
            finally:
                await response.aclose()


async def _read_body(response: httpx.Response, limit: int, *, strict: bool) -> bytes:
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    declared = response.headers.get("content-length", "")
    if strict and encoding in ("", "identity") and declared.isdigit() and int(declared) > limit:
        raise FetchError(
            "too-large",
            f"body of {human_size(int(declared))} is over the "
            f"{human_size(limit)} limit (Content-Length)",
        )
    decoder = _Decoder(encoding, limit)
    chunks: list[bytes] = []
    total = 0
    async for raw in response.aiter_raw(_CHUNK):
        for piece in decoder.decode(raw):
            total += len(piece)
            if total > limit:
                if not strict:
                    chunks.append(piece[: max(0, limit - (total - len(piece)))])
                    return b"".join(chunks)
                raise FetchError(
                    "too-large", f"body is over the {human_size(limit)} limit after decompression"
                )
            chunks.append(piece)
    return b"".join(chunks)


def _raise_for_status(response: Response) -> None:
    status = response.status
    if status == 304 or 200 <= status < 300:
        return
    reason = httpx.codes.get_reason_phrase(status)
    label = f"HTTP {status}{' ' + reason if reason else ''} from {response.url}"
    retry_after = parse_retry_after(response.headers.get("retry-after"))
    if status in REDIRECTS:
        raise FetchError("redirect", f"{label} without a Location header")
    if status == 410:
        raise FetchError("gone", f"{label}: the publisher says the feed is gone")
    if 400 <= status < 500:
        raise FetchError("http-4xx", label, retry_after=retry_after)
    if status >= 500:
        raise FetchError("http-5xx", label, retry_after=retry_after)
    raise FetchError("http-4xx", f"unexpected {label}")


def classify(exc: BaseException, url: str) -> FetchError:
    """Map an httpx exception to one of our error classes with a readable message."""
    chain: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and len(chain) < 8:
        chain.append(cur)
        cur = cur.__cause__ or cur.__context__
    text = " ".join(str(e) for e in chain if str(e)) or type(exc).__name__
    text = terminal_safe(text)[:300]
    if isinstance(exc, httpx.TimeoutException):
        phase = "connecting" if isinstance(exc, httpx.ConnectTimeout) else "waiting for data"
        return FetchError("timeout", f"timed out {phase} from {url}")
    if any(isinstance(e, socket.gaierror) for e in chain) or re.search(
        r"Name or service not known|nodename nor servname|Temporary failure in name resolution|"
        r"No address associated|getaddrinfo failed",
        text,
    ):
        return FetchError("dns", f"cannot resolve the host of {url}: {text}")
    if any(isinstance(e, ssl.SSLError) for e in chain) or re.search(r"SSL|TLS|CERTIFICATE", text):
        return FetchError("tls", f"TLS error with {url}: {text}")
    if isinstance(exc, httpx.UnsupportedProtocol):
        return FetchError("blocked", f"unsupported URL scheme: {url}")
    if isinstance(exc, httpx.ConnectError):
        return FetchError("connect", f"cannot connect to {url}: {text}")
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        return FetchError("connect", f"connection broken while reading {url}: {text}")
    return FetchError("connect", f"{type(exc).__name__} with {url}: {text}")
