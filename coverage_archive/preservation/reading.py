"""What readers see of what the archive keeps of a piece: its captures, and whether its original is gone.

- ``kept_copies``: for the article page, the piece's captures (newest first), whether its
  original is gone, and the Robust Links attributes of its original and archived-copy links
  (https://robustlinks.mementoweb.org/spec/).
- ``capture_detail``: a capture's extracted text and facts, with the list of the piece's captures.
- ``capture_warc``: the capture's WARC file, streamed as a download.

Captured HTML is never served as a page of this site (it may carry scripts): readers get the
text extracted from it, escaped, and the WARC file as an attachment. Only pieces readers may see
have readable captures: ``publishing.article_for_reader`` answers here as on the article page.

Nothing here imports ``fetching``, ``capturing`` or ``warcio``: readers never make the server
fetch anything (tests/test_add_from_link.py checks it).
"""

import datetime
import logging
import re
from dataclasses import dataclass, field

from django.http import FileResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from coverage_archive.models import Article
from coverage_archive.preservation.models import Capture, LinkOutcome
from coverage_archive.publishing import article_for_reader, mark_as_preview

logger = logging.getLogger(__name__)

# The media type of a WARC file (ISO 28500, registered with IANA); the file is sent as stored,
# gzip-compressed, with no Content-Encoding, so a browser saves it as it is.
WARC_CONTENT_TYPE = "application/warc"
# The time in a Wayback Machine address (web.archive.org/web/20181115123456/…), and in other
# archives that follow its form: the date of the archived copy, when its address gives one.
_WAYBACK_TIME = re.compile(r"/(\d{4})(\d{2})(\d{2})\d{0,8}(?:[a-z]{2}_)?/[a-z][a-z0-9+.-]*:", re.IGNORECASE)


def capture_page(article, capture) -> str:
    return reverse("coverage_archive:capture", kwargs={"slug": article.slug, "pk": capture.pk})


def capture_download(article, capture) -> str:
    return reverse("coverage_archive:capture_warc", kwargs={"slug": article.slug, "pk": capture.pk})


def version_date(moment: datetime.datetime) -> str:
    """A capture's date for ``data-versiondate``: YYYY-MM-DD, in UTC."""
    return moment.astimezone(datetime.UTC).date().isoformat()


def archived_copy_date(url: str) -> str:
    """The date in an archived copy's address (a Wayback Machine link): YYYY-MM-DD, or "" if it gives none."""
    match = _WAYBACK_TIME.search(url or "")
    if match is None:
        return ""
    try:
        return datetime.date(*(int(part) for part in match.groups())).isoformat()
    except ValueError:
        return ""


@dataclass
class RobustLink:
    """A link's Robust Links attributes: the original, one version of it, and that version's date."""

    original_url: str
    version_url: str = ""
    version_date: str = ""


@dataclass
class KeptCopies:
    """What the article page says about the copies of a piece and its original."""

    captures: list = field(default_factory=list)  # newest first
    newest_page: str = ""  # the newest capture's page, on this site
    capture_urls: list[str] = field(default_factory=list)  # each capture's page, absolute, newest first
    original_gone: bool = False
    last_seen_working: datetime.datetime | None = None
    original_link: RobustLink | None = None
    archived_link: RobustLink | None = None

    @property
    def newest(self):
        return self.captures[0] if self.captures else None


def kept_copies(article: Article, request) -> KeptCopies:
    """The piece's captures and link state, as the article page shows them.

    One query (the captures' ids and times); the link state comes with the article
    (``select_related("link_state")``) or, if it was not selected, one more.
    """
    captures = list(article.captures.only("id", "captured_at", "article_id"))
    kept = KeptCopies(captures=captures)
    kept.capture_urls = [request.build_absolute_uri(capture_page(article, capture)) for capture in captures]
    newest = kept.newest
    if newest is not None:
        kept.newest_page = capture_page(article, newest)
    link_state = getattr(article, "link_state", None)
    if link_state is not None and link_state.outcome == LinkOutcome.GONE:
        kept.original_gone = True
        kept.last_seen_working = link_state.last_fine_at
    archived_date = archived_copy_date(article.archived_url)
    if article.original_url:
        # data-versionurl holds one address: the archive's own newest capture when there is one.
        if newest is not None:
            kept.original_link = RobustLink(
                article.original_url, kept.capture_urls[0], version_date(newest.captured_at)
            )
        elif article.archived_url:
            kept.original_link = RobustLink(article.original_url, article.archived_url, archived_date)
        else:
            kept.original_link = RobustLink(article.original_url)
    if article.archived_url and article.original_url:
        # A link to a version: it names the original it is a copy of, and itself as that version.
        kept.archived_link = RobustLink(article.original_url, article.archived_url, archived_date)
    return kept


def _article_and_capture(request, slug, pk, address, captures):
    """(article, preview, capture, None), or (None, False, None, the answer for readers)."""
    articles = Article.objects.select_related("source")
    article, preview, answer = article_for_reader(request, articles, slug, address)
    if answer is not None:
        return None, False, None, answer
    capture = get_object_or_404(captures.filter(article=article), pk=pk)
    return article, preview, capture, None


@require_safe
def capture_detail(request, slug, pk):
    article, preview, capture, answer = _article_and_capture(
        request,
        slug,
        pk,
        lambda moved: reverse("coverage_archive:capture", kwargs={"slug": moved.slug, "pk": pk}),
        Capture.objects.defer("proposal"),
    )
    if answer is not None:
        return answer
    captures = article.captures.only("id", "captured_at", "status_code", "article_id")
    response = render(
        request,
        "preservation/capture_detail.html",
        {
            "article": article,
            "capture": capture,
            "captures": captures,
            "preview": preview,
            "paragraphs": capture.paragraphs(),
            "download_url": capture_download(article, capture),
            "capture_link": RobustLink(
                capture.url,
                request.build_absolute_uri(capture_page(article, capture)),
                version_date(capture.captured_at),
            ),
        },
    )
    return mark_as_preview(response) if preview else response


@require_safe
def capture_warc(request, slug, pk):
    """The capture's WARC file, as stored: streamed, as an attachment, never shown as a page."""
    article, preview, capture, answer = _article_and_capture(
        request,
        slug,
        pk,
        lambda moved: reverse("coverage_archive:capture_warc", kwargs={"slug": moved.slug, "pk": pk}),
        Capture.objects.only("id", "article_id", "captured_at", "warc"),
    )
    if answer is not None:
        return answer
    try:
        stored = capture.warc.storage.open(capture.warc.name, "rb")
    except OSError:  # the file is missing from storage (FileNotFoundError on a file system)
        logger.error("The WARC file of capture %s is missing from storage: %s", capture.pk, capture.warc.name)
        return render(
            request,
            "preservation/capture_missing.html",
            {"article": article, "capture": capture, "capture_page": capture_page(article, capture)},
            status=404,
        )
    filename = f"{article.slug}-{capture.captured_at.astimezone(datetime.UTC):%Y%m%dT%H%M%SZ}.warc.gz"
    response = FileResponse(stored, as_attachment=True, filename=filename, content_type=WARC_CONTENT_TYPE)
    response["X-Content-Type-Options"] = "nosniff"
    response["X-Robots-Tag"] = "noindex"
    return mark_as_preview(response) if preview else response
