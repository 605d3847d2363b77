"""Normalised original URLs, so one piece of coverage is archived once.

Two links to the same article differ in ways that do not change what they point
at: ``http`` or ``https``, a ``www.`` prefix, letter case in the host, a default
port, a trailing slash, a ``#fragment`` and tracking parameters added by
newsletters and social networks (``utm_source``, ``fbclid`` …). The normalised
form drops those differences; the database keeps it unique.
"""

from urllib.parse import parse_qsl, unquote_plus, urlencode, urlsplit, urlunsplit

# Parameters that only say where a click came from. Prefix rules cover families
# such as utm_source/utm_medium/utm_campaign.
TRACKING_PARAMETER_PREFIXES = ("utm_", "mc_", "pk_", "hsa_", "__hs")
TRACKING_PARAMETERS = frozenset(
    {"fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid", "mkt_tok", "ref_src", "cmpid"}
)


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMETERS or lowered.startswith(TRACKING_PARAMETER_PREFIXES)


def without_tracking(url: str) -> str:
    """``url`` exactly as typed, without its tracking parameters: the form an original URL is stored in.

    Only the query changes; the scheme, host, path, the other parameters (in
    their order and encoding) and the fragment stay as they are.

    >>> without_tracking("https://WNYC.org/story/x/?utm_source=tw&id=3&fbclid=abc#top")
    'https://WNYC.org/story/x/?id=3#top'
    """
    before_fragment, hash_sign, fragment = url.partition("#")
    base, question_mark, query = before_fragment.partition("?")
    if not question_mark:
        return url
    kept = [part for part in query.split("&") if not _is_tracking(unquote_plus(part.partition("=")[0]))]
    if len(kept) == len(query.split("&")):
        return url
    query = "&".join(kept)
    return f"{base}{'?' if query else ''}{query}{hash_sign}{fragment}"


def normalize_url(url: str) -> str:
    """Return the comparison form of ``url``; the empty string for no URL.

    >>> normalize_url("HTTPS://www.WNYC.org/story/x/?utm_source=tw&id=3#top")
    'wnyc.org/story/x?id=3'
    """
    url = (url or "").strip()
    if not url:
        return ""
    parts = urlsplit(url if "://" in url else f"//{url}")
    host = (parts.hostname or "").lower().rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    try:
        port = parts.port if parts.port not in (None, 80, 443) else None
    except ValueError:  # a port that is not a number: keep the text as given
        port = parts.netloc.rpartition(":")[2]
    netloc = f"{host}:{port}" if port else host
    path = parts.path.rstrip("/")
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)))
    # No scheme and no fragment: neither changes which article the link names.
    return urlunsplit(("", netloc, path, query, "")).removeprefix("//")
