"""Fetch one carrier page politely and safely.

* http and https only, at most ``KB_SOURCE_WATCH_MAX_REDIRECTS`` redirects (each hop checked),
  at most ``KB_SOURCE_WATCH_MAX_BYTES`` read, a timeout per request and a deadline per page;
* the connection goes to an address checked when it is made: loopback, private, link-local
  (cloud metadata), shared, reserved and multicast addresses are refused (the check and the
  connection use the same resolved address, so DNS rebinding cannot slip past it);
* ``robots.txt`` is honoured (RFC 9309: a 4xx means no rules, a 5xx or no answer means "do not
  crawl"), with our ``User-Agent``;
* conditional GET with the ETag / Last-Modified of the last fetch;
* at most one request per host every ``KB_SOURCE_WATCH_HOST_DELAY`` seconds (``HostPacer``).
"""

import ipaddress
import socket
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import httpcore
import httpx
from django.conf import settings

OK, NOT_MODIFIED, GONE, ERROR, REFUSED = "ok", "not_modified", "gone", "error", "refused"


class AddressRefused(Exception):
    pass


def address_allowed(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


class GuardedNetwork(httpcore.SyncBackend):
    """Resolves the host itself, refuses non-public addresses, connects to the checked one."""

    def __init__(self, *, allow_private: bool):
        self.allow_private = allow_private

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from None
        addresses = list(dict.fromkeys(info[4][0] for info in infos))
        if not self.allow_private:
            refused = [a for a in addresses if not address_allowed(a)]
            if refused or not addresses:
                raise AddressRefused(f"{host} resolves to a non-public address ({refused[0]})")
        last_error = None
        for address in addresses:
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                last_error = exc
        raise last_error


@dataclass
class Fetched:
    outcome: str
    url: str
    final_url: str = ""
    http_status: int | None = None
    body: bytes = b""
    content_type: str = ""
    etag: str = ""
    last_modified: str = ""
    detail: str = ""
    requests: int = 0


@dataclass
class HostPacer:
    """At most one request per host every ``delay`` seconds, in this process."""

    delay: float
    last: dict = field(default_factory=dict)
    sleep: object = time.sleep

    def wait(self, host: str) -> None:
        previous = self.last.get(host)
        if previous is not None:
            pause = previous + self.delay - time.monotonic()
            if pause > 0:
                self.sleep(pause)
        self.last[host] = time.monotonic()


def _same_page(a: str, b: str) -> bool:
    """http -> https, a trailing slash or "www." is the same page; anything else is another."""

    def key(url):
        parts = urlsplit(url)
        host = (parts.hostname or "").removeprefix("www.")
        return host, parts.path.rstrip("/") or "/", parts.query

    return key(a) == key(b)


class Fetcher:
    def __init__(self, *, pacer: HostPacer | None = None):
        self.user_agent = settings.KB_SOURCE_WATCH_USER_AGENT
        self.max_bytes = settings.KB_SOURCE_WATCH_MAX_BYTES
        self.max_redirects = settings.KB_SOURCE_WATCH_MAX_REDIRECTS
        self.timeout = settings.KB_SOURCE_WATCH_TIMEOUT
        self.pacer = pacer or HostPacer(settings.KB_SOURCE_WATCH_HOST_DELAY)
        transport = httpx.HTTPTransport(retries=0)
        # httpx has no public hook for the connection's network backend; the pool has.
        transport._pool._network_backend = GuardedNetwork(
            allow_private=settings.KB_SOURCE_WATCH_ALLOW_PRIVATE
        )
        self.client = httpx.Client(
            transport=transport,
            headers={"User-Agent": self.user_agent, "Accept": "text/html,*/*;q=0.5"},
            timeout=httpx.Timeout(self.timeout, connect=min(self.timeout, 10)),
            follow_redirects=False,
            trust_env=False,
        )
        self.robots: dict[str, RobotFileParser | None] = {}

    def close(self):
        self.client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # --- one request ----------------------------------------------------------------------
    def _get(self, url: str, headers: dict, fetched: Fetched):
        host = urlsplit(url).hostname or ""
        self.pacer.wait(host)
        fetched.requests += 1
        deadline = time.monotonic() + self.timeout * 2
        with self.client.stream("GET", url, headers=headers) as response:
            length = response.headers.get("content-length", "")
            if length.isdigit() and int(length) > self.max_bytes:
                raise _TooLarge()
            chunks, size = [], 0
            for chunk in response.iter_bytes():  # decoded: a small gzip bomb stops here too
                size += len(chunk)
                if size > self.max_bytes:
                    raise _TooLarge()
                if time.monotonic() > deadline:
                    raise httpx.ReadTimeout("the page took too long to arrive")
                chunks.append(chunk)
            body = b"".join(chunks)
            return response, body

    # --- robots.txt -----------------------------------------------------------------------
    def _robots_allow(self, url: str, fetched: Fetched) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self.robots:
            parser = RobotFileParser()
            try:
                response, body = self._get(f"{origin}/robots.txt", {}, fetched)
            except AddressRefused:
                raise
            except (httpx.HTTPError, _TooLarge, httpcore.ConnectError):
                parser = None  # no answer: do not crawl (RFC 9309, "unreachable")
            else:
                if response.status_code >= 500:
                    parser = None
                elif response.status_code >= 400 or 300 <= response.status_code < 400:
                    parser.parse([])
                else:
                    parser.parse(body.decode("utf-8", "replace").splitlines())
            self.robots[origin] = parser
        parser = self.robots[origin]
        return parser is not None and parser.can_fetch(self.user_agent, url)

    # --- a page, redirects followed by hand ------------------------------------------------
    def fetch(self, url: str, *, etag: str = "", last_modified: str = "") -> Fetched:
        fetched = Fetched(outcome=ERROR, url=url, final_url=url)
        try:
            return self._fetch(url, etag, last_modified, fetched)
        except AddressRefused as exc:
            fetched.outcome, fetched.detail = REFUSED, str(exc)
        except _TooLarge:
            fetched.detail = f"larger than {self.max_bytes // 1024} KB"
        except httpx.TimeoutException:
            fetched.detail = "timed out"
        except (httpx.HTTPError, httpcore.ConnectError) as exc:
            fetched.detail = f"{type(exc).__name__}: {exc}"[:300]
        return fetched

    def _fetch(self, url, etag, last_modified, fetched):
        seen = {url}
        current = url
        for hop in range(self.max_redirects + 1):
            if urlsplit(current).scheme not in ("http", "https"):
                fetched.outcome, fetched.detail = REFUSED, "only http and https are fetched"
                return fetched
            if not self._robots_allow(current, fetched):
                fetched.outcome, fetched.detail = REFUSED, "robots.txt does not allow it"
                return fetched
            headers = {}
            if hop == 0 and etag:
                headers["If-None-Match"] = etag
            if hop == 0 and last_modified:
                headers["If-Modified-Since"] = last_modified
            response, body = self._get(current, headers, fetched)
            fetched.http_status = response.status_code
            if response.has_redirect_location:
                target = urljoin(current, response.headers.get("location", ""))
                if target in seen:
                    fetched.detail = "redirect loop"
                    return fetched
                seen.add(target)
                current = fetched.final_url = target
                continue
            if response.status_code == 304:
                fetched.outcome = NOT_MODIFIED
                return fetched
            if response.status_code in (404, 410):
                fetched.outcome, fetched.detail = GONE, f"HTTP {response.status_code}"
                return fetched
            if response.status_code != 200:
                fetched.detail = f"HTTP {response.status_code}"
                return fetched
            if not _same_page(url, current):
                fetched.outcome, fetched.detail = GONE, f"moved to {current}"[:300]
                return fetched
            fetched.outcome, fetched.body = OK, body
            fetched.content_type = response.headers.get("content-type", "")
            fetched.etag = response.headers.get("etag", "")[:300]
            fetched.last_modified = response.headers.get("last-modified", "")[:100]
            return fetched
        fetched.detail = f"more than {self.max_redirects} redirects"
        return fetched


class _TooLarge(Exception):
    pass
