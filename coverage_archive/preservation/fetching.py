"""Fetch an address an editor typed, without letting it reach what it must not.

The server fetches links that people type, so every fetch is held to these rules:

- only ``http`` and ``https``, on any port;
- the host's addresses are resolved once and every one of them must be public:
  private, loopback, link-local, multicast, reserved, unspecified and shared
  addresses are refused, IPv4 and IPv6 alike, and so are IPv6 forms that carry an
  IPv4 address (``::ffff:127.0.0.1``, 6to4, NAT64, Teredo);
- the connection is made to an address that was checked (never a second lookup, so
  a name that changes its answer between the check and the connection, DNS
  rebinding, gains nothing), and the address actually connected to is checked again;
- redirects are followed by hand, at most ``MAX_REDIRECTS``, each hop held to the
  same rules;
- at most ``MAX_BYTES`` of a body are read (after decompression too), within connect,
  read and whole-fetch time limits; no proxy from the environment, no cookies.

``FETCH_ALLOW_PRIVATE_ADDRESSES`` (off by default) lifts the address rule for tests
and intranets: ``1`` allows every address, or a comma-separated list of networks
(``10.1.0.0/16``) allows only those.
"""

import ipaddress
import socket
import time
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urljoin, urlsplit

import urllib3
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.util import Timeout

MAX_REDIRECTS = 5
MAX_BYTES = 10 * 1024 * 1024
# A redirect's own body is kept in the capture, but it is never large.
MAX_REDIRECT_BODY_BYTES = 64 * 1024
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 15.0
# The whole fetch, every hop included: a server that sends a byte a second is not waited on.
TOTAL_TIMEOUT = 30.0
# Names the software, so a site's operator can tell what fetched the page and why.
USER_AGENT = "KnowYourRightsCoverageArchive (preservation: keeps a copy of coverage an editor recorded)"
ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"
# Encodings the fetcher can undo itself, so the capture keeps the bytes as sent.
ACCEPT_ENCODING = "gzip, deflate"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECTS = frozenset({301, 308})
_CHUNK = 64 * 1024


class FetchRefused(Exception):
    """A fetch that was refused or failed, with the sentence an editor reads."""

    def __init__(self, message, *, reason: str, exchanges=None):
        super().__init__(str(message))
        self.message = message
        self.reason = reason
        # The hops made before the refusal, if any (a link check records them).
        self.exchanges = list(exchanges or [])


@dataclass
class Exchange:
    """One request and the response to it, as sent and received."""

    url: str
    method: str
    request_headers: list[tuple[str, str]]
    status: int
    reason: str
    http_version: str
    response_headers: list[tuple[str, str]]
    # The body as received (still compressed if the server compressed it).
    body: bytes
    peer_address: str
    fetched_at: datetime
    truncated: bool = False

    def header(self, name: str) -> str:
        name = name.lower()
        for key, value in self.response_headers:
            if key.lower() == name:
                return value
        return ""

    @property
    def location(self) -> str:
        """The absolute address a redirect points to, or ''."""
        target = self.header("Location")
        return urljoin(self.url, target.strip()) if target else ""

    @property
    def content_type(self) -> str:
        return self.header("Content-Type").split(";")[0].strip().lower()

    @property
    def charset(self) -> str:
        for part in self.header("Content-Type").split(";")[1:]:
            key, _sep, value = part.strip().partition("=")
            if key.lower() == "charset" and value:
                return value.strip("\"' ")
        return ""

    def decoded_body(self) -> bytes:
        """The body with its Content-Encoding undone, capped at MAX_BYTES."""
        return decode_content(self.body, self.header("Content-Encoding"))


@dataclass
class FetchResult:
    requested_url: str
    exchanges: list[Exchange] = field(default_factory=list)

    @property
    def final(self) -> Exchange:
        return self.exchanges[-1]

    @property
    def url(self) -> str:
        return self.final.url

    @property
    def status(self) -> int:
        return self.final.status

    @property
    def redirects(self) -> list[Exchange]:
        return self.exchanges[:-1]


# --- Which addresses may be fetched ------------------------------------------------------

_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    embedded = []
    if address.ipv4_mapped:
        embedded.append(address.ipv4_mapped)
    if address.sixtofour:
        embedded.append(address.sixtofour)
    if address.teredo:
        embedded.extend(address.teredo)
    if address in _NAT64:
        embedded.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return embedded


def _is_public(address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and not all(map(_is_public, _embedded_ipv4(address))):
        return False
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def allowed_private_networks():
    """What FETCH_ALLOW_PRIVATE_ADDRESSES allows: True (everything), a tuple of networks, or ()."""
    value = getattr(settings, "FETCH_ALLOW_PRIVATE_ADDRESSES", ())
    if value is True:
        return True
    return tuple(ipaddress.ip_network(network, strict=False) for network in (value or ()))


def address_allowed(text: str) -> bool:
    """May the fetcher connect to this IP address?"""
    address = ipaddress.ip_address(text.split("%")[0])
    if _is_public(address):
        return True
    allowed = allowed_private_networks()
    if allowed is True:
        return True
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return any(address in network for network in allowed if network.version == address.version)


def _refused_address(host: str):
    return FetchRefused(
        _("%(host)s is a private or reserved address, which this archive does not fetch.") % {"host": host},
        reason="private-address",
    )


def resolve_public(host: str, port: int) -> list[tuple]:
    """The host's addresses, each one checked; refuses the host if any one is not allowed."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise FetchRefused(_("The name %(host)s could not be found.") % {"host": host}, reason="unknown-host") from None
    if not infos:
        raise FetchRefused(_("The name %(host)s could not be found.") % {"host": host}, reason="unknown-host")
    for _family, _type, _proto, _canon, sockaddr in infos:
        if not address_allowed(sockaddr[0]):
            raise _refused_address(host)
    return infos


class _CheckedConnectionMixin:
    """Connects only to addresses that were checked, and checks the peer again."""

    def _new_conn(self):
        deadline = getattr(self, "_kyr_deadline", None)
        infos = resolve_public(self._dns_host, self.port)
        last_error = None
        for family, type_, proto, _canon, sockaddr in infos:
            sock = socket.socket(family, type_, proto)
            try:
                timeout = CONNECT_TIMEOUT
                if deadline is not None:
                    timeout = max(0.1, min(timeout, deadline - time.monotonic()))
                sock.settimeout(timeout)
                sock.connect(sockaddr)
                read_timeout = (
                    READ_TIMEOUT if deadline is None else max(0.1, min(READ_TIMEOUT, deadline - time.monotonic()))
                )
                sock.settimeout(read_timeout)
            except OSError as error:
                sock.close()
                last_error = error
                continue
            peer = sock.getpeername()[0]
            if not address_allowed(peer):
                sock.close()
                raise _refused_address(self.host)
            self.kyr_peer_address = peer
            return sock
        if isinstance(last_error, TimeoutError | socket.timeout):
            raise urllib3.exceptions.ConnectTimeoutError(self, f"Connection to {self.host} timed out.")
        raise urllib3.exceptions.NewConnectionError(self, f"Failed to establish a new connection: {last_error}")


class CheckedHTTPConnection(_CheckedConnectionMixin, HTTPConnection):
    pass


class CheckedHTTPSConnection(_CheckedConnectionMixin, HTTPSConnection):
    pass


# --- Fetching ---------------------------------------------------------------------------


def check_address(url: str) -> tuple[str, str, int]:
    """Scheme, host and port of a URL the fetcher may try; refuses anything else."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise FetchRefused(_("This is not a web address the archive can read."), reason="invalid-url") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise FetchRefused(_("Only http:// and https:// addresses can be fetched."), reason="scheme")
    host = parts.hostname
    if not host:
        raise FetchRefused(_("This address has no host name."), reason="invalid-url")
    if parts.username or parts.password:
        raise FetchRefused(_("Addresses with a user name or password are not fetched."), reason="credentials")
    scheme = parts.scheme.lower()
    return scheme, host, port or (443 if scheme == "https" else 80)


def decode_content(body: bytes, encoding: str) -> bytes:
    encoding = (encoding or "").strip().lower()
    if encoding in ("", "identity"):
        return body[:MAX_BYTES]
    if encoding in ("gzip", "x-gzip", "deflate"):
        wbits = 16 + zlib.MAX_WBITS if "gzip" in encoding else zlib.MAX_WBITS
        try:
            return zlib.decompressobj(wbits).decompress(body, MAX_BYTES)
        except zlib.error:
            if encoding == "deflate":  # some servers send raw deflate without the zlib header
                try:
                    return zlib.decompressobj(-zlib.MAX_WBITS).decompress(body, MAX_BYTES)
                except zlib.error:
                    pass
            raise FetchRefused(_("The page's compressed content could not be read."), reason="bad-encoding") from None
    raise FetchRefused(
        _("The page is sent in an encoding the archive cannot read (%(encoding)s).") % {"encoding": encoding},
        reason="bad-encoding",
    )


def request_target(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _one_exchange(url: str, method: str, deadline: float, body_limit: int) -> Exchange:
    scheme, host, port = check_address(url)
    pool_class = urllib3.HTTPSConnectionPool if scheme == "https" else urllib3.HTTPConnectionPool
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise FetchRefused(_("The site took too long to answer."), reason="timeout")
    pool = pool_class(
        host,
        port,
        maxsize=1,
        timeout=Timeout(connect=min(CONNECT_TIMEOUT, remaining), read=min(READ_TIMEOUT, remaining)),
        retries=False,
        block=False,
    )
    pool.ConnectionCls = CheckedHTTPSConnection if scheme == "https" else CheckedHTTPConnection
    host_header = host if ":" not in host else f"[{host}]"
    if port != (443 if scheme == "https" else 80):
        host_header = f"{host_header}:{port}"
    headers = [
        ("Host", host_header),
        ("User-Agent", USER_AGENT),
        ("Accept", ACCEPT),
        ("Accept-Encoding", ACCEPT_ENCODING),
        ("Connection", "close"),
    ]
    fetched_at = timezone.now()
    try:
        connection = pool._get_conn()
        connection._kyr_deadline = deadline
        # urllib3 sets this on the socket once the request is sent: the wait for each read.
        connection.timeout = max(0.1, min(READ_TIMEOUT, deadline - time.monotonic()))
        try:
            connection.request(method, request_target(url), headers=dict(headers), preload_content=False)
            response = connection.getresponse()
            body, truncated = b"", False
            if method != "HEAD":
                body, truncated = _read_capped(response, body_limit, deadline)
            peer = getattr(connection, "kyr_peer_address", "")
        finally:
            connection.close()
    except FetchRefused:
        raise
    except urllib3.exceptions.SSLError:
        raise FetchRefused(_("The site's secure connection (HTTPS) could not be verified."), reason="tls") from None
    except urllib3.exceptions.NewConnectionError as error:
        # Refused, reset or unroutable: urllib3 2 makes this a ConnectTimeoutError too, but it is not one.
        if isinstance(error.__cause__, FetchRefused):
            raise error.__cause__ from None
        raise FetchRefused(_("The site could not be reached."), reason="unreachable") from None
    except (urllib3.exceptions.ConnectTimeoutError, urllib3.exceptions.ReadTimeoutError, TimeoutError):
        raise FetchRefused(_("The site took too long to answer."), reason="timeout") from None
    except (urllib3.exceptions.HTTPError, OSError) as error:
        if isinstance(getattr(error, "__cause__", None), FetchRefused):
            raise error.__cause__ from None
        raise FetchRefused(_("The site could not be reached."), reason="unreachable") from None
    finally:
        pool.close()
    return Exchange(
        url=url,
        method=method,
        request_headers=headers,
        status=response.status,
        reason=response.reason or "",
        http_version="HTTP/1.0" if response.version == 10 else "HTTP/1.1",
        response_headers=list(response.headers.items()),
        body=body,
        peer_address=peer,
        fetched_at=fetched_at,
        truncated=truncated,
    )


def _read_capped(response, limit: int, deadline: float) -> tuple[bytes, bool]:
    chunks, size = [], 0
    while True:
        if time.monotonic() > deadline:
            raise FetchRefused(_("The site took too long to send the page."), reason="timeout")
        chunk = response.read(min(_CHUNK, limit + 1 - size), decode_content=False)
        if not chunk:
            return b"".join(chunks), False
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return b"".join(chunks)[:limit], True


def fetch(url: str, *, method: str = "GET", max_bytes: int = MAX_BYTES, total_timeout: float = TOTAL_TIMEOUT):
    """Fetch ``url`` by the rules above, following redirects; every hop is in the result.

    Raises FetchRefused for anything the rules refuse and for a site that cannot be
    reached; an HTTP error status is not an exception (the caller decides).
    """
    deadline = time.monotonic() + total_timeout
    result = FetchResult(requested_url=url)
    current = url.strip()
    for _hop in range(MAX_REDIRECTS + 1):
        try:
            exchange = _one_exchange(current, method, deadline, max_bytes)
        except FetchRefused as refusal:
            refusal.exchanges = list(result.exchanges)
            raise
        if exchange.status in REDIRECT_STATUSES and exchange.location:
            exchange.body = exchange.body[:MAX_REDIRECT_BODY_BYTES]
            result.exchanges.append(exchange)
            current = exchange.location
            continue
        result.exchanges.append(exchange)
        return result
    raise FetchRefused(
        _("The address redirects more than %(count)d times.") % {"count": MAX_REDIRECTS},
        reason="too-many-redirects",
        exchanges=result.exchanges,
    )
