"""A small web site on 127.0.0.1 for the preservation tests: pages written here, all invented.

No page copies a real news site: the outlets ("Example Ledger", "Diario Inventado") and
their stories are made up, and say so. ``LoopbackSite`` runs it in a thread:

    with LoopbackSite() as site:
        site.url("/en/2025/03/05/tenants-learn-their-rights")
"""

import contextlib
import gzip
import http.server
import json
import socket
import threading
import time

INVENTED = "This page is invented for the archive's tests; no such outlet or story exists."

ENGLISH_ARTICLE = f"""<!doctype html>
<html lang="en-US"><head><meta charset="utf-8">
<title>Tenants learn their rights at a library workshop | Example Ledger</title>
<meta name="description" content="An invented workshop where invented tenants practise what to say at the door.">
<meta name="author" content="Pat Placeholder">
<meta property="og:site_name" content="Example Ledger">
<meta property="og:title" content="Tenants learn their rights at a library workshop">
<meta property="article:published_time" content="2025-03-04T09:00:00-05:00">
<script type="application/ld+json">{
    json.dumps(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": "Tenants learn their rights at a library workshop",
            "datePublished": "2025-03-05T10:30:00-05:00",
            "author": [{"@type": "Person", "name": "Pat Placeholder"}, {"@type": "Person", "name": "Sam Sample"}],
            "publisher": {"@type": "Organization", "name": "Example Ledger"},
            "inLanguage": "en",
        }
    )
}</script>
</head><body>
<header><nav><a href="/">Home</a> <a href="/about">About</a></nav></header>
<article>
<h1>Tenants learn their rights at a library workshop</h1>
<p>By Pat Placeholder and Sam Sample · <time datetime="2025-03-01">1 March 2025</time></p>
<p>Dozens of invented tenants gathered at an imaginary branch library on Tuesday evening to practise
what to say when someone knocks at the door asking questions they do not have to answer.</p>
<p>Volunteers from a made-up neighbourhood group handed out cards, in English and Spanish, that explain
the right to remain silent and the difference between an administrative form and a judicial warrant.</p>
<p>"{INVENTED}" the organizers of this test page would say, if they existed.</p>
</article>
<footer>© Example Ledger, an invented outlet</footer>
</body></html>
"""

SPANISH_ARTICLE = f"""<!doctype html>
<html lang="es"><head><meta charset="utf-8">
<title>Vecinos aprenden sus derechos en un taller | Diario Inventado</title>
<meta property="og:site_name" content="Diario Inventado">
<meta property="og:description" content="Un taller inventado en una biblioteca imaginaria.">
<meta property="og:locale" content="es_US">
<meta property="article:published_time" content="2024-11">
</head><body>
<article itemscope itemtype="https://schema.org/NewsArticle">
<h1 itemprop="headline">Vecinos aprenden sus derechos en un taller</h1>
<p>Por <span itemprop="author">Ana Ejemplo</span></p>
<p>Decenas de vecinos inventados se reunieron en una biblioteca imaginaria para ensayar qué decir cuando
alguien toca a la puerta con preguntas que no tienen obligación de contestar.</p>
<p>Voluntarios de un grupo ficticio repartieron tarjetas que explican el derecho a guardar silencio y la
diferencia entre un formulario administrativo y una orden judicial. {INVENTED}</p>
</article></body></html>
"""

MICRODATA_ARTICLE = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Hotline volunteers trained | Sample Courier</title></head>
<body><article itemscope itemtype="https://schema.org/NewsArticle">
<h1 itemprop="headline">Hotline volunteers trained</h1>
<span itemprop="author" itemscope itemtype="https://schema.org/Person"><span itemprop="name">Lee Lorem</span></span>
<meta itemprop="datePublished" content="2023-07-14">
<p>An invented hotline trained invented volunteers to answer calls about rights at work, at home and in
the street, in a story written only for this test. {INVENTED}</p>
<p>Each volunteer practised with scripts that never name a real person, place or organization.</p>
</article></body></html>
"""

BARE_PAGE = f"""<html><body>
<p>A plain page with no title, no date and no author, about an invented meeting where invented people
spoke about their rights at length, so that an extractor has some text to keep. {INVENTED}</p>
<p>It goes on for a second paragraph, which says nothing of substance either, on purpose.</p>
</body></html>
"""

HOME_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Example Ledger</title>
<meta property="og:site_name" content="Example Ledger"></head>
<body><h1>Example Ledger</h1><p>The front page of an invented outlet.</p></body></html>
"""

SOFT_404 = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Page not found | Example Ledger</title>
</head>
<body><h1>Page not found</h1>
<p>Sorry, the page you asked for does not exist (an invented outlet).</p></body></html>
"""

SOFT_404_ES = """<!doctype html><html lang="es"><head><meta charset="utf-8"><title>Diario Inventado</title>
</head>
<body><h1>Página no encontrada</h1>
<p>Lo sentimos: esta página de un diario inventado no existe.</p></body></html>
"""

NEW_PLACE = ENGLISH_ARTICLE.replace("Tenants learn their rights", "Tenants learn their rights (moved)")

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class LoopbackHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "LoopbackSite/1"

    def log_message(self, *args):  # quiet
        pass

    def _send(self, status, body=b"", content_type="text/html; charset=utf-8", headers=()):
        if isinstance(body, str):
            body = body.encode("utf-8")
        self._answered()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        site = self.server.site
        site.requests.append((self.command, self.path, dict(self.headers)))
        host = self.headers.get("Host", "")
        with site.lock:
            site.in_flight[host] = site.in_flight.get(host, 0) + 1
            site.most_in_flight[host] = max(site.most_in_flight.get(host, 0), site.in_flight[host])
            site.in_flight_total += 1
            site.most_in_flight_total = max(site.most_in_flight_total, site.in_flight_total)
        self._host, self._counted = host, True
        try:
            return self._answer(site)
        finally:
            self._answered()

    def _answered(self):
        """The request stops counting as in flight once its answer starts (the client may then go on)."""
        site = self.server.site
        with site.lock:
            if getattr(self, "_counted", False):
                site.in_flight[self._host] -= 1
                site.in_flight_total -= 1
                self._counted = False

    def _answer(self, site):
        path = self.path.split("?")[0]
        route = site.routes.get(path)
        if route:
            return route(self)
        pages = {
            "/": HOME_PAGE,
            "/en/2025/03/05/tenants-learn-their-rights": ENGLISH_ARTICLE,
            "/es/noticias/vecinos-aprenden-sus-derechos": SPANISH_ARTICLE,
            "/stories/hotline-volunteers": MICRODATA_ARTICLE,
            "/bare": BARE_PAGE,
            "/new-place": NEW_PLACE,
            "/soft-404": SOFT_404,
            "/es/no-encontrada": SOFT_404_ES,
        }
        if path in pages:
            return self._send(200, pages[path])
        if path == "/gone":
            return self._send(410, "<h1>Gone</h1>")
        if path == "/old-place":
            return self._send(301, headers=[("Location", "/new-place")])
        if path == "/temporarily-elsewhere":
            return self._send(302, headers=[("Location", "/new-place")])
        if path == "/to-home":
            return self._send(302, headers=[("Location", "/")])
        if path == "/to-private":
            return self._send(302, headers=[("Location", "http://10.0.0.1/admin")])
        if path == "/to-metadata":
            return self._send(302, headers=[("Location", "http://169.254.169.254/latest/meta-data/")])
        if path.startswith("/loop/"):
            step = int(path.rsplit("/", 1)[1] or 0)
            return self._send(302, headers=[("Location", f"/loop/{step + 1}")])
        if path == "/report.pdf":
            return self._send(200, PDF, content_type="application/pdf")
        if path == "/gzip":
            return self._send(200, gzip.compress(ENGLISH_ARTICLE.encode()), headers=[("Content-Encoding", "gzip")])
        if path == "/chunked":
            return self._chunked(ENGLISH_ARTICLE.encode())
        if path == "/huge":
            return self._huge()
        if path == "/slow":
            time.sleep(site.slow_seconds)
            return self._send(200, BARE_PAGE)
        if path == "/head-refused":
            if self.command == "HEAD":
                return self._send(405)
            return self._send(200, ENGLISH_ARTICLE)
        if path == "/busy":
            return self._send(503, "<h1>Busy</h1>", headers=[("Retry-After", "120")])
        if path == "/throttled":
            return self._send(429, "<h1>Too many requests</h1>")
        if path == "/forbidden":
            return self._send(403, "<h1>Forbidden</h1>")
        return self._send(404, "<h1>Not found</h1>")

    def _chunked(self, body):
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for start in range(0, len(body), 1000):
            piece = body[start : start + 1000]
            self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        self.wfile.write(b"0\r\n\r\n")

    def _huge(self):
        size = self.server.site.huge_bytes
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        chunk = b"<p>" + b"invented filler " * 4000 + b"</p>\n"
        sent = 0
        try:
            while sent < size:
                piece = chunk[: size - sent]
                self.wfile.write(piece)
                sent += len(piece)
        except (BrokenPipeError, ConnectionResetError):
            pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class LoopbackSite:
    """The invented site, served from a thread on 127.0.0.1 (a free port).

    ``also_on("127.0.0.7")`` serves the same site on another loopback address too (its own
    port, returned), so one site can stand for many hosts.
    """

    def __init__(self, handler=None):
        # A subclass of LoopbackHandler may count or answer differently (bench/check_links.py's does).
        self.handler = handler or LoopbackHandler
        self.requests = []
        # Requests being answered, and the most at once, per Host header and in all.
        self.lock = threading.Lock()
        self.in_flight = {}
        self.most_in_flight = {}
        self.in_flight_total = 0
        self.most_in_flight_total = 0
        self.routes = {}
        self.slow_seconds = 3.0
        self.huge_bytes = 11 * 1024 * 1024
        self.server = _Server(("127.0.0.1", 0), self.handler)
        self.server.site = self
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.also = []

    def also_on(self, address: str, port: int = 0) -> int:
        """Serve the site on this loopback address as well (from a thread); its port."""
        server = _Server((address, port), self.handler)
        server.site = self
        self.also.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server.server_address[1]

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        for server in [self.server, *self.also]:
            server.shutdown()
            server.server_close()


@contextlib.contextmanager
def hanging_port(address: str):
    """A port on this loopback address that takes connections and never answers: the kernel
    completes each handshake (the socket listens), and nothing ever reads the request."""
    with socket.socket() as sock:
        sock.bind((address, 0))
        sock.listen(64)
        yield sock.getsockname()[1]


@contextlib.contextmanager
def refusing_port(address: str):
    """A port on this loopback address held but not listening: every connection is refused."""
    with socket.socket() as sock:
        sock.bind((address, 0))
        yield sock.getsockname()[1]
