"""What readers see of the archive's captures: the line on the article page, the capture's page,
the WARC download, the notice for a gone original, Robust Links and JSON-LD (preservation/reading.py).

Captures are real: WARC files written by capturing.save_capture (tests/captures.py), and one
fetched from the invented loopback site (tests/loopback_site.py)."""

import datetime
import hashlib
import json
import re

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import translation

from coverage_archive.models import Article
from coverage_archive.preservation import adding, reading
from coverage_archive.preservation.models import LinkOutcome, LinkState
from tests.captures import make_capture
from tests.factories import ArticleFactory, ItemTypeFactory, UserFactory
from tests.loopback_site import LoopbackSite

pytestmark = pytest.mark.django_db

MARCH_5 = datetime.datetime(2025, 3, 5, 14, 30, tzinfo=datetime.UTC)
JANUARY_9 = datetime.datetime(2024, 1, 9, 8, 0, tzinfo=datetime.UTC)
WAYBACK = "https://web.archive.example.org/web/20181115093000/https://daily.example.org/synthetic/1"
# On PostgreSQL every reader's request sets and resets its statement timeout (coverage_archive/budget.py).
BUDGET_QUERIES = 2


def budget_queries():
    return BUDGET_QUERIES * (connection.vendor == "postgresql")


@pytest.fixture(autouse=True)
def english_addresses():
    """A request to a Spanish page leaves Spanish active in this thread, which would turn the
    next test's get_absolute_url() into a /es/ address: each test starts in English."""
    with translation.override("en"):
        yield


@pytest.fixture
def article():
    return ArticleFactory(
        title="Synthetic captured piece",
        slug="synthetic-captured",
        original_url="https://daily.example.org/synthetic/1",
        language="en",
    )


@pytest.fixture
def captures(article):
    """Two captures of the piece: January 2024, then March 2025 (the newest)."""
    older = make_capture(article, captured_at=JANUARY_9, text="The older invented text.")
    newer = make_capture(article, captured_at=MARCH_5, text="The newer invented text.\nIts second paragraph.")
    return newer, older


def page_of(capture):
    return f"/coverage/{capture.article.slug}/captures/{capture.pk}/"


def attributes_of_link(html: str, text: str) -> dict:
    """The attributes of the <a> whose text starts with ``text``."""
    match = re.search(r"<a ([^>]*)>" + re.escape(text), html)
    assert match, f"no link “{text}”"
    return dict(re.findall(r'([\w-]+)="([^"]*)"', match.group(1)))


# --- The article page ------------------------------------------------------------------------


def test_the_article_page_says_when_the_archive_last_captured_the_original(reader, article, captures):
    newer, _older = captures
    html = reader.get(article.get_absolute_url()).text
    assert f'<a href="{page_of(newer)}">Captured by this archive on March 5, 2025</a>' in html


def test_the_capture_line_is_in_spanish_on_the_spanish_page(reader, article, captures):
    newer, _older = captures
    html = reader.get(f"/es/coverage/{article.slug}/").text
    link = f'<a href="/es/coverage/{article.slug}/captures/{newer.pk}/">'
    assert link + "Capturado por este archivo el 5 de marzo de 2025</a>" in html


def test_a_piece_without_captures_says_nothing_of_them(reader, article):
    html = reader.get(article.get_absolute_url()).text
    assert "Captured by this archive" not in html and "/captures/" not in html


def test_captures_waiting_for_a_draft_are_not_another_pieces(reader, article):
    make_capture(None, captured_at=MARCH_5)
    assert "Captured by this archive" not in reader.get(article.get_absolute_url()).text


# --- The capture's page ----------------------------------------------------------------------


def test_the_capture_page_shows_its_facts_and_text(reader, article, captures):
    newer, older = captures
    response = reader.get(page_of(newer))
    html = response.text
    assert response.status_code == 200
    assert "<p>The newer invented text.</p><p>Its second paragraph.</p>" in html
    assert "https://example.org/synthetic/kept-page</a>" in html
    assert '<time datetime="2025-03-05T14:30:00+00:00">March 5, 2025, 2:30 p.m. UTC</time>' in html
    assert "<dd>200</dd>" in html
    assert newer.payload_sha256 in html and newer.warc_sha256 in html
    assert f'href="/coverage/{article.slug}/captures/{newer.pk}.warc.gz" download' in html
    assert f'href="{article.get_absolute_url()}"' in html  # back to the piece
    # Every capture of the piece, newest first, the one shown marked as the current page.
    listed = re.findall(r'href="/coverage/synthetic-captured/captures/(\d+)/"', html.split('id="captures-heading"')[1])
    assert listed == [str(newer.pk), str(older.pk)]
    assert f'href="{page_of(newer)}" aria-current="page"' in html


def test_the_capture_page_escapes_the_captured_text_and_title(reader, article):
    capture = make_capture(
        article,
        captured_at=MARCH_5,
        title="<b>Synthetic</b> title",
        text='<script>alert("captured")</script>\nA <img src=x onerror=alert(1)> & more',
    )
    html = reader.get(page_of(capture)).text
    assert "<script>alert" not in html and "<img src=x" not in html and "<b>Synthetic" not in html
    assert "<p>&lt;script&gt;alert(&quot;captured&quot;)&lt;/script&gt;</p>" in html
    assert "<p>A &lt;img src=x onerror=alert(1)&gt; &amp; more</p>" in html
    assert "&lt;b&gt;Synthetic&lt;/b&gt; title" in html


def test_a_capture_of_another_piece_is_not_found_under_this_one(reader, article, captures):
    other = ArticleFactory()
    newer, _older = captures
    assert reader.get(f"/coverage/{other.slug}/captures/{newer.pk}/").status_code == 404
    assert reader.get(f"/coverage/{other.slug}/captures/{newer.pk}.warc.gz").status_code == 404
    assert reader.get(f"/coverage/{article.slug}/captures/999999/").status_code == 404


def test_the_capture_page_is_in_spanish_on_the_spanish_site(reader, article, captures):
    newer, _older = captures
    html = reader.get(f"/es/coverage/{article.slug}/captures/{newer.pk}/").text
    assert "Texto capturado" in html and "5 de marzo de 2025" in html
    assert f'href="/es/coverage/{article.slug}/captures/{newer.pk}.warc.gz"' in html


# --- The WARC file ---------------------------------------------------------------------------


def test_the_warc_file_is_downloaded_as_stored(reader, article, captures):
    newer, _older = captures
    response = reader.get(f"/coverage/{article.slug}/captures/{newer.pk}.warc.gz")
    assert response.status_code == 200
    assert response.streaming  # streamed from storage, never read whole into memory
    assert response["Content-Type"] == "application/warc"
    assert response["Content-Disposition"] == 'attachment; filename="synthetic-captured-20250305T143000Z.warc.gz"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert not response.has_header("Content-Encoding")  # saved gzip-compressed, as stored
    data = b"".join(response.streaming_content)
    with newer.warc.open("rb") as stored:
        assert data == stored.read()
    assert hashlib.sha256(data).hexdigest() == newer.warc_sha256
    assert response["Content-Length"] == str(len(data))
    # The strict policy stays as it is on every response.
    assert "default-src 'self'" in response["Content-Security-Policy"]


def test_a_warc_file_missing_from_storage_is_a_clear_404(reader, article, captures, caplog):
    newer, _older = captures
    newer.warc.storage.delete(newer.warc.name)
    response = reader.get(f"/coverage/{article.slug}/captures/{newer.pk}.warc.gz")
    assert response.status_code == 404
    assert "The file of this capture is missing" in response.text
    assert f'href="{page_of(newer)}"' in response.text
    assert "is missing from storage" in caplog.text
    assert reader.get(page_of(newer)).status_code == 200  # its text is still there


# --- Only what readers may see ---------------------------------------------------------------


@pytest.mark.parametrize(("status", "answer"), [(Article.Status.DRAFT, 404), (Article.Status.WITHDRAWN, 410)])
def test_captures_of_drafts_and_withdrawn_pieces_are_hidden_as_their_page_is(reader, article, captures, status, answer):
    newer, _older = captures
    Article.objects.filter(pk=article.pk).update(status=status)
    assert reader.get(article.get_absolute_url()).status_code == answer
    assert reader.get(page_of(newer)).status_code == answer
    warc = reader.get(f"/coverage/{article.slug}/captures/{newer.pk}.warc.gz")
    assert warc.status_code == answer and not warc.streaming


def test_a_renamed_pieces_old_capture_address_redirects_to_the_new_one(reader, article, captures):
    newer, _older = captures
    article.slug = "synthetic-captured-renamed"
    article.save()
    response = reader.get(f"/coverage/synthetic-captured/captures/{newer.pk}/")
    assert response.status_code == 301
    assert response["Location"] == f"/coverage/synthetic-captured-renamed/captures/{newer.pk}/"
    warc = reader.get(f"/coverage/synthetic-captured/captures/{newer.pk}.warc.gz")
    assert warc["Location"] == f"/coverage/synthetic-captured-renamed/captures/{newer.pk}.warc.gz"


def test_staff_preview_a_drafts_capture_never_cached(client, article, captures):
    newer, _older = captures
    Article.objects.filter(pk=article.pk).update(status=Article.Status.DRAFT)
    client.force_login(UserFactory(username="admin", is_staff=True, is_superuser=True))
    response = client.get(page_of(newer))
    assert response.status_code == 200 and "Preview" in response.text
    assert response["X-Robots-Tag"] == "noindex" and "no-cache" in response["Cache-Control"]


def test_readers_get_no_cookie_from_capture_pages(reader, article, captures):
    newer, _older = captures
    for path in (article.get_absolute_url(), page_of(newer), f"/coverage/{article.slug}/captures/{newer.pk}.warc.gz"):
        response = reader.get(path)
        assert response.status_code == 200 and not response.cookies, path


# --- A gone original -------------------------------------------------------------------------


def _gone(article, last_fine_at):
    LinkState.objects.create(
        article=article, outcome=LinkOutcome.GONE, checked_at=MARCH_5, last_fine_at=last_fine_at, failures_in_a_row=3
    )


def test_a_gone_original_says_so_and_points_to_the_capture_and_the_archived_copy(reader, article, captures):
    newer, _older = captures
    article.archived_url = WAYBACK
    article.save()
    _gone(article, last_fine_at=datetime.datetime(2025, 1, 20, 12, 0, tzinfo=datetime.UTC))
    html = reader.get(article.get_absolute_url()).text
    assert "The original is no longer online (last seen working on Jan. 20, 2025)." in html
    assert (
        f'Read <a href="{page_of(newer)}">the text this archive captured</a> or '
        f'<a href="{WAYBACK}" rel="noreferrer noopener">the archived copy</a>.'
    ) in html
    spanish = reader.get(f"/es/coverage/{article.slug}/").text
    assert "El original ya no está en línea (se vio funcionar por última vez el 20 de enero de 2025)." in spanish


def test_a_gone_original_never_seen_working_points_to_the_capture(reader, article, captures):
    newer, _older = captures
    _gone(article, last_fine_at=None)
    html = reader.get(article.get_absolute_url()).text
    assert "The original is no longer online." in html
    assert f'Read <a href="{page_of(newer)}">the text this archive captured</a>.' in html


@pytest.mark.parametrize("outcome", [LinkOutcome.FINE, LinkOutcome.FAILING, LinkOutcome.MOVED])
def test_an_original_not_gone_gets_no_notice(reader, article, captures, outcome):
    LinkState.objects.create(article=article, outcome=outcome, checked_at=MARCH_5)
    assert "no longer online" not in reader.get(article.get_absolute_url()).text


# --- Robust Links and JSON-LD ----------------------------------------------------------------


def test_the_original_link_is_a_robust_link_to_the_newest_capture(reader, article, captures):
    newer, _older = captures
    article.archived_url = WAYBACK
    article.save()
    html = reader.get(article.get_absolute_url()).text
    original = attributes_of_link(html, "The original at")
    assert original["href"] == original["data-originalurl"] == "https://daily.example.org/synthetic/1"
    assert original["data-versionurl"] == f"http://testserver{page_of(newer)}"
    assert original["data-versiondate"] == "2025-03-05"
    archived = attributes_of_link(html, "An archived copy")
    assert archived["href"] == archived["data-versionurl"] == WAYBACK
    assert archived["data-originalurl"] == "https://daily.example.org/synthetic/1"
    assert archived["data-versiondate"] == "2018-11-15"  # from the Wayback Machine address


def test_without_a_capture_the_original_links_to_the_archived_copy(reader, article):
    article.archived_url = WAYBACK
    article.save()
    original = attributes_of_link(reader.get(article.get_absolute_url()).text, "The original at")
    assert original["data-versionurl"] == WAYBACK and original["data-versiondate"] == "2018-11-15"


def test_an_original_with_no_copy_names_only_itself(reader, article):
    original = attributes_of_link(reader.get(article.get_absolute_url()).text, "The original at")
    assert original["data-originalurl"] == article.original_url
    assert "data-versionurl" not in original and "data-versiondate" not in original


def test_the_captured_url_on_the_capture_page_is_a_robust_link(reader, article, captures):
    newer, _older = captures
    link = attributes_of_link(reader.get(page_of(newer)).text, "https://example.org/synthetic/kept-page")
    assert link["data-originalurl"] == "https://example.org/synthetic/kept-page"
    assert link["data-versionurl"] == f"http://testserver{page_of(newer)}"
    assert link["data-versiondate"] == "2025-03-05"


@pytest.mark.parametrize(
    ("url", "date"),
    [
        (WAYBACK, "2018-11-15"),
        ("https://web.archive.org/web/20200102id_/http://example.org/a", "2020-01-02"),
        ("https://archive.example.org/synthetic/article-1", ""),
        ("https://web.archive.org/web/20181345000000/https://example.org/", ""),  # month 13: no date
        ("", ""),
    ],
)
def test_the_date_of_an_archived_copy_comes_from_its_address_or_is_left_out(url, date):
    assert reading.archived_copy_date(url) == date


JSON_LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.DOTALL)


def test_json_ld_names_the_capture_pages_as_archived_copies(reader, article, captures):
    newer, older = captures
    article.archived_url = WAYBACK
    article.save()
    data = json.loads(JSON_LD.search(reader.get(article.get_absolute_url()).text).group(1))
    assert data["archivedAt"] == [
        WAYBACK,
        f"http://testserver{page_of(newer)}",
        f"http://testserver{page_of(older)}",
        f"http://testserver{article.get_absolute_url()}",
    ]


# --- Queries ---------------------------------------------------------------------------------


def test_the_article_page_asks_the_same_queries_however_many_captures(reader, article, django_assert_num_queries):
    for day in range(1, 6):
        make_capture(article, captured_at=MARCH_5 - datetime.timedelta(days=day))
    _gone(article, last_fine_at=JANUARY_9)
    # 1 article with source, type and link state; 1 prefetch of subjects; 1 of organizations;
    # 1 the captures' ids and times; 1 related coverage.
    with django_assert_num_queries(5 + budget_queries()):
        reader.get(article.get_absolute_url())


@pytest.mark.parametrize("count", [1, 6])
def test_the_capture_page_asks_the_same_queries_however_many_captures(
    reader, article, django_assert_num_queries, count
):
    made = [make_capture(article, captured_at=MARCH_5 - datetime.timedelta(days=day)) for day in range(count)]
    shown = made[-1]  # the oldest: not the one the list starts with
    # 1 the published article with its source; 1 the capture shown; 1 the list of the piece's captures.
    with django_assert_num_queries(3 + budget_queries()):
        assert reader.get(page_of(shown)).status_code == 200


def test_the_warc_download_asks_two_queries(reader, article, captures, django_assert_num_queries):
    newer, _older = captures
    # 1 the published article with its source; 1 the capture's file name and time.
    with django_assert_num_queries(2 + budget_queries()):
        response = reader.get(f"/coverage/{article.slug}/captures/{newer.pk}.warc.gz")
        b"".join(response.streaming_content)


# --- A capture fetched from the loopback site ------------------------------------------------


def test_a_capture_fetched_from_a_site_shows_its_text_to_readers(reader):
    ItemTypeFactory(name="Media Coverage", slug="media-coverage")
    with LoopbackSite() as site, override_settings(FETCH_ALLOW_PRIVATE_ADDRESSES=("127.0.0.1/32",)):
        article = ArticleFactory(original_url=site.url("/en/2025/03/05/tenants-learn-their-rights"))
        outcome = adding.capture_again(article)
    assert outcome.kind == "captured"
    html = reader.get(article.get_absolute_url()).text
    assert f'href="{page_of(outcome.capture)}"' in html
    page = reader.get(page_of(outcome.capture)).text
    assert "Dozens of invented tenants gathered at an imaginary branch library" in page
    assert "Tenants learn their rights at a library workshop" in page
