"""Add from a link: one link in, one outcome out — shared by the admin and ``manage.py add_from_links``.

A link goes through two steps:

1. ``propose(url)``: refuse what cannot be fetched; report a link already in the archive
   (the normalized-URL rule of ``Article.objects.with_original_url``) with the piece it
   is; otherwise fetch the page, keep the fetch as a capture (not yet any article's)
   and read a proposal out of it (title, byline, date, source, language, summary, text).
2. ``make_draft(capture, …)``: make a **draft** of that proposal, with the source the
   editor confirmed (an existing one, or a new one they agreed to create). Nothing on
   this path is ever published: an editor reviews the draft and publishes it.

``capture_again(article)`` fetches an existing piece's original and keeps a new capture.
"""

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from coverage_archive.dates import DatePrecision, parse_partial_date
from coverage_archive.importing.writing import new_term, unique_slugs
from coverage_archive.models import Article, ItemType, Language, Source
from coverage_archive.preservation import extraction
from coverage_archive.preservation.capturing import save_capture
from coverage_archive.preservation.fetching import FetchRefused, check_address, fetch
from coverage_archive.preservation.links import MAX_LINKS, links_in  # noqa: F401 (part of this module's interface)
from coverage_archive.preservation.models import Capture
from coverage_archive.search import fold

# Content types read as web pages; anything else (a PDF, an image) is refused with its type.
PAGE_TYPES = frozenset({"text/html", "application/xhtml+xml", ""})
# Links fetched side by side, each within FETCH_SECONDS: twenty links take at most a minute.
FETCHES_AT_ONCE = 8
FETCH_SECONDS = 20.0
# The type a draft gets unless the editor picks another.
DEFAULT_TYPE_SLUG = "media-coverage"
# simple-history keeps 100 characters of a change's reason.
_REASON_LENGTH = 100

DATE_SOURCES = {
    "json-ld": gettext_lazy("the page's JSON-LD datePublished"),
    "meta": gettext_lazy("the page's article:published_time tag"),
    "microdata": gettext_lazy("the page's microdata datePublished"),
    "time": gettext_lazy("the page's first <time> element"),
    "url": gettext_lazy("the date in the address"),
    "htmldate": gettext_lazy("htmldate's reading of the page"),
}
FIELD_NAMES = {
    "title": gettext_lazy("title"),
    "byline": gettext_lazy("byline"),
    "date": gettext_lazy("date"),
    "site_name": gettext_lazy("site name"),
    "language": gettext_lazy("language"),
    "summary": gettext_lazy("summary"),
    "body": gettext_lazy("text"),
}


@dataclass
class Outcome:
    """What became of one link: ``proposed`` (a capture waiting for a draft), ``draft``,
    ``duplicate`` or ``refused``."""

    url: str
    kind: str
    message: str = ""
    capture: Capture | None = None
    article: Article | None = None
    source: Source | None = None
    notes: list = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.kind == "refused"


def existing_piece(url: str) -> Article | None:
    return Article.objects.with_original_url(url).order_by("pk").first()


def matching_source(site_name: str, domain: str) -> Source | None:
    """The archive's source for a page: the same name (case and accents aside) or the same site."""
    wanted = fold(site_name).strip()
    domain = domain.lower().removeprefix("www.")
    by_site = None
    for source in Source.objects.only("pk", "name", "name_es", "homepage_url", "slug"):
        if wanted and wanted in {fold(source.name).strip(), fold(source.name_es).strip()}:
            return source
        home = (urlsplit(source.homepage_url).hostname or "").lower().removeprefix("www.")
        if domain and home and (domain == home or domain.endswith("." + home)):
            by_site = by_site or source
    return by_site


def _before_fetching(url: str) -> Outcome | None:
    """A link refused or already archived without fetching anything; None if it is to be fetched."""
    try:
        check_address(url)
    except FetchRefused as refusal:
        return Outcome(url, "refused", str(refusal.message))
    if len(url) > Article._meta.get_field("original_url").max_length:
        return Outcome(url, "refused", _("The address is longer than the archive keeps (2,000 characters)."))
    known = existing_piece(url)
    return _duplicate(url, known) if known else None


def _fetched(url: str):
    """The fetch of a link, or the Outcome refusing it (no database work: safe in a thread)."""
    try:
        return fetch(url, total_timeout=FETCH_SECONDS)
    except FetchRefused as refusal:
        return Outcome(url, "refused", str(refusal.message))


def _after_fetching(url: str, result, user) -> Outcome:
    page = result.final
    if page.truncated:
        return Outcome(url, "refused", _("The page is larger than 10 MB; the archive does not keep pages that large."))
    if not 200 <= page.status < 300:
        return Outcome(
            url,
            "refused",
            _("The site answered %(status)d %(reason)s, not the page.")
            % {"status": page.status, "reason": page.reason},
        )
    if page.content_type not in PAGE_TYPES:
        return Outcome(
            url,
            "refused",
            _("The address is a %(type)s file, not a web page; add it by hand.") % {"type": page.content_type},
        )
    known = existing_piece(result.url) if result.url != url else None
    if known:
        return _duplicate(url, known)
    try:
        body = page.decoded_body()
    except FetchRefused as refusal:
        return Outcome(url, "refused", str(refusal.message))
    proposal = extraction.extract(result.url, body, page.charset)
    source = matching_source(proposal.site_name, proposal.domain)
    capture = save_capture(result, text=proposal.body, title=proposal.title, proposal=proposal.as_json(), user=user)
    return Outcome(url, "proposed", capture=capture, source=source, notes=describe(proposal.as_json()))


def propose(url: str, *, user=None) -> Outcome:
    """Step 1 for one link: fetch and capture it, and read a proposed draft out of it."""
    return propose_all([url], user=user)[0]


def propose_all(urls: list[str], *, user=None) -> list[Outcome]:
    """Step 1 for several links: the fetches run side by side (at most FETCHES_AT_ONCE), the
    database work in this thread, one link after another; outcomes in the links' order."""
    urls = [url.strip() for url in urls]
    outcomes = {index: _before_fetching(url) for index, url in enumerate(urls)}
    to_fetch = [index for index, outcome in outcomes.items() if outcome is None]
    with ThreadPoolExecutor(max_workers=max(1, min(FETCHES_AT_ONCE, len(to_fetch)))) as pool:
        fetched = dict(zip(to_fetch, pool.map(lambda index: _fetched(urls[index]), to_fetch), strict=True))
    for index, result in fetched.items():
        outcomes[index] = result if isinstance(result, Outcome) else _after_fetching(urls[index], result, user)
    return [outcomes[index] for index in range(len(urls))]


def _duplicate(url: str, article: Article) -> Outcome:
    return Outcome(
        url,
        "duplicate",
        _("Already in the archive as “%(title)s”.") % {"title": article.title},
        article=article,
    )


def describe(proposal: dict) -> list[str]:
    """What an editor should know about a proposal: where its date came from, what is missing."""
    notes = []
    if proposal.get("date"):
        notes.append(
            _("Date %(date)s from %(origin)s.")
            % {"date": proposal["date"], "origin": DATE_SOURCES.get(proposal.get("date_source"), "?")}
        )
    missing = [str(FIELD_NAMES[name]) for name in proposal.get("missing", []) if name in FIELD_NAMES]
    if missing:
        notes.append(_("Not found on the page: %(fields)s.") % {"fields": ", ".join(missing)})
    return notes


def proposed_source_name(proposal: dict) -> str:
    """The name a new source would get: the page's site name, else its domain."""
    return proposal.get("site_name") or proposal.get("domain") or ""


def default_item_type() -> ItemType | None:
    return ItemType.objects.filter(slug=DEFAULT_TYPE_SLUG).first() or ItemType.objects.order_by("name").first()


def make_draft(
    capture: Capture,
    *,
    user=None,
    source: Source | None = None,
    new_source_name: str = "",
    item_type: ItemType | None = None,
    title: str = "",
) -> Outcome:
    """Step 2: a draft from a proposed capture, with the source the editor confirmed.

    Either ``source`` (an existing one) or ``new_source_name`` (a new source the editor
    agreed to create, with the page's site as its homepage). All or nothing.
    """
    proposal = capture.proposal
    url = capture.requested_url
    item_type = item_type or default_item_type()
    if item_type is None:
        return Outcome(url, "refused", _("The archive has no types yet; add one before adding coverage."))
    try:
        return _make_draft(capture, proposal, url, user, source, new_source_name, item_type, title)
    except ValidationError as error:
        problems = [message for messages in error.message_dict.values() for message in messages]
        return Outcome(url, "refused", " ".join(problems))


def _make_draft(capture, proposal, url, user, source, new_source_name, item_type, title) -> Outcome:
    with transaction.atomic():
        capture = Capture.objects.select_for_update().get(pk=capture.pk)
        if capture.article_id is not None:
            return _duplicate(url, capture.article)
        known = existing_piece(url) or existing_piece(capture.url)
        if known:
            return _duplicate(url, known)
        if source is None:
            name = (new_source_name or "").strip()
            if not name:
                return Outcome(url, "refused", _("Choose a source for this piece, or confirm the new one."))
            source = Source.objects.filter(name__iexact=name).first() or new_term(
                Source,
                name,
                set(Source.objects.values_list("slug", flat=True)),
                user=user,
                homepage_url=_homepage(capture.url),
            )
        title = (title or proposal.get("title") or "").strip()
        if not title:
            title = _("Untitled page at %(domain)s") % {"domain": proposal.get("domain") or capture.url}
        title = title[: Article._meta.get_field("title").max_length]
        date, precision = _date(proposal)
        article = Article(
            title=title,
            slug=unique_slugs([title])[0],
            source=source,
            item_type=item_type,
            byline=(proposal.get("byline") or "")[: Article._meta.get_field("byline").max_length],
            publication_date=date,
            date_precision=precision,
            language=proposal.get("language") or Language.ENGLISH,
            summary=proposal.get("summary") or "",
            body=proposal.get("body") or "",
            original_url=url,
            status=Article.Status.DRAFT,
            created_by=user,
            updated_by=user,
        )
        article._history_user = user
        article._change_reason = (_("Drafted from a link: %(url)s") % {"url": url})[:_REASON_LENGTH]
        article.full_clean(exclude=["slug"])
        article.save()
        capture.article = article
        capture.save(update_fields=["article"])
    notes = describe(proposal)
    if not proposal.get("language"):
        notes.append(_("Language not found on the page: set to English; check it."))
    return Outcome(url, "draft", capture=capture, article=article, source=source, notes=notes)


def _homepage(url: str) -> str:
    scheme, host, port = check_address(url)
    default = 443 if scheme == "https" else 80
    return f"{scheme}://{host}{'' if port == default else f':{port}'}/"


def _date(proposal: dict):
    text = proposal.get("date") or ""
    precision = proposal.get("date_precision") or DatePrecision.UNKNOWN
    if not text or precision == DatePrecision.UNKNOWN:
        return None, DatePrecision.UNKNOWN
    try:
        partial = parse_partial_date(text)
    except ValueError:
        return None, DatePrecision.UNKNOWN
    return partial.start, partial.precision


def capture_again(article: Article, *, user=None) -> Outcome:
    """Fetch a piece's original now and keep the fetch as a new capture of it."""
    url = article.original_url
    if not url:
        return Outcome("", "refused", _("This piece has no original URL to capture."))
    try:
        result = fetch(url)
    except FetchRefused as refusal:
        return Outcome(url, "refused", str(refusal.message))
    page = result.final
    if page.truncated:
        return Outcome(url, "refused", _("The page is larger than 10 MB; the archive does not keep pages that large."))
    text, title = "", ""
    if page.content_type in PAGE_TYPES and 200 <= page.status < 300:
        try:
            proposal = extraction.extract(result.url, page.decoded_body(), page.charset)
            text, title = proposal.body, proposal.title
        except FetchRefused:
            pass
    capture = save_capture(result, text=text, title=title, article=article, user=user)
    message = _("Captured at %(time)s: HTTP %(status)d.") % {
        "time": timezone.localtime(capture.captured_at).strftime("%Y-%m-%d %H:%M"),
        "status": page.status,
    }
    return Outcome(url, "captured", message, capture=capture, article=article)


def admin_url(article: Article) -> str:
    return reverse("admin:coverage_archive_article_change", args=[article.pk])


# A capture nobody made a draft of is kept this long, then removed by the next "Add from a link".
PROPOSAL_LIFETIME = timezone.timedelta(days=1)


def discard(capture: Capture) -> None:
    """Remove a proposed capture that will not become a draft; its file goes once the deletion commits."""
    if capture.article_id is None:
        capture.delete()


def discard_stale_proposals() -> int:
    stale = Capture.objects.filter(article__isnull=True, captured_at__lt=timezone.now() - PROPOSAL_LIFETIME)
    count = 0
    for capture in stale.iterator():
        discard(capture)
        count += 1
    return count
