"""What readers see of what the archive keeps of a piece: its captures.

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
from dataclasses import dataclass

from django.http import FileResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from coverage_archive.models import Article
from coverage_archive.preservation.models import Capture
from coverage_archive.publishing import article_for_reader, mark_as_preview

logger = logging.getLogger(__name__)

# The media type of a WARC file (ISO 28500, registered with IANA); the file is sent as stored,
# gzip-compressed, with no Content-Encoding, so a browser saves it as it is.
WARC_CONTENT_TYPE = "application/warc"


def capture_page(article, capture) -> str:
    return reverse("coverage_archive:capture", kwargs={"slug": article.slug, "pk": capture.pk})


def capture_download(article, capture) -> str:
    return reverse("coverage_archive:capture_warc", kwargs={"slug": article.slug, "pk": capture.pk})


def version_date(moment: datetime.datetime) -> str:
    """A capture's date for ``data-versiondate``: YYYY-MM-DD, in UTC."""
    return moment.astimezone(datetime.UTC).date().isoformat()


@dataclass
class RobustLink:
    """A link's Robust Links attributes: the original, one version of it, and that version's date."""

    original_url: str
    version_url: str = ""
    version_date: str = ""


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
