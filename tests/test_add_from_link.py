"""Add from a link: the safe fetcher, extraction field by field, captures as WARC, drafts, the command
and the admin pages — all against the invented loopback site (tests/loopback_site.py)."""

import hashlib
import io
import os
import socket

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from warcio.archiveiterator import ArchiveIterator

from coverage_archive.models import Article, Source
from coverage_archive.preservation import adding, extraction, fetching
from coverage_archive.preservation.capturing import save_capture
from coverage_archive.preservation.models import Capture
from tests.factories import ArticleFactory, ItemTypeFactory, SourceFactory, UserFactory
from tests.loopback_site import LoopbackSite

LOOPBACK_ONLY = ("127.0.0.1/32",)
ENGLISH = "/en/2025/03/05/tenants-learn-their-rights"
SPANISH = "/es/noticias/vecinos-aprenden-sus-derechos"


@pytest.fixture(scope="module")
def site():
    with LoopbackSite() as running:
        yield running


@pytest.fixture
def loopback_allowed():
    """The fetcher may reach 127.0.0.1 (and only that private address)."""
    with override_settings(FETCH_ALLOW_PRIVATE_ADDRESSES=LOOPBACK_ONLY):
        yield


@pytest.fixture
def media_type(db):
    return ItemTypeFactory(name="Media Coverage", slug="media-coverage")


def _requests_to(site, path):
    return [entry for entry in site.requests if entry[1].split("?")[0] == path]


# --- The fetcher's rules, with the setting at its default (off) ----------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://localhost/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:7f00:1]/",
        "http://2130706433/",
        "http://0x7f.1/",
        "http://0.0.0.0/",
        "http://10.20.30.40/",
        "http://172.16.0.1/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/",
        "http://224.0.0.1/",
        "http://240.0.0.1/",
        "http://[fe80::1]/",
        "http://[fc00::1]/",
        "http://[ff02::1]/",
        "http://[2002:7f00:1::]/",
        "http://[64:ff9b::a00:1]/",
    ],
)
def test_private_loopback_link_local_multicast_and_reserved_addresses_are_refused(url):
    with pytest.raises(fetching.FetchRefused) as refused:
        fetching.fetch(url)
    assert refused.value.reason == "private-address"
    assert "private or reserved address" in str(refused.value)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.invalid/file", "scheme"),
        ("file:///etc/passwd", "scheme"),
        ("javascript:alert(1)", "scheme"),
        ("http://user:secret@example.invalid/", "credentials"),
        ("http:///no-host", "invalid-url"),
        ("http://example.invalid:99999/", "invalid-url"),
        ("http://name-that-does-not-exist.invalid/", "unknown-host"),
    ],
)
def test_what_is_not_a_public_web_address_is_refused_with_a_reason(url, reason):
    with pytest.raises(fetching.FetchRefused) as refused:
        fetching.fetch(url)
    assert refused.value.reason == reason


def test_with_the_setting_off_no_request_reaches_a_loopback_server(site):
    before = len(site.requests)
    with pytest.raises(fetching.FetchRefused):
        fetching.fetch(site.url(ENGLISH))
    assert len(site.requests) == before


def test_a_name_with_any_private_address_is_refused_before_connecting():
    # "localhost" resolves to loopback addresses only: refused by name, as a rebinding name would be.
    assert all(info[4][0] in ("127.0.0.1", "::1") for info in socket.getaddrinfo("localhost", 80))
    with pytest.raises(fetching.FetchRefused) as refused:
        fetching.resolve_public("localhost", 80)
    assert refused.value.reason == "private-address"


@pytest.mark.parametrize("path", ["/to-private", "/to-metadata"])
def test_a_redirect_to_a_private_address_is_refused(site, loopback_allowed, path):
    with pytest.raises(fetching.FetchRefused) as refused:
        fetching.fetch(site.url(path))
    assert refused.value.reason == "private-address"
    # The hop that redirected is known; nothing was fetched from the private address.
    assert [hop.status for hop in refused.value.exchanges] == [302]


def test_the_setting_allows_every_address_or_only_the_networks_it_lists(site):
    with override_settings(FETCH_ALLOW_PRIVATE_ADDRESSES=True):
        assert fetching.address_allowed("10.0.0.1") and fetching.address_allowed("::1")
    with override_settings(FETCH_ALLOW_PRIVATE_ADDRESSES=("10.1.0.0/16",)):
        assert fetching.address_allowed("10.1.2.3")
        assert not fetching.address_allowed("10.2.0.1")
        assert not fetching.address_allowed("127.0.0.1")
    assert fetching.address_allowed("93.184.215.14")  # a public address is always allowed


def test_at_most_five_redirects_are_followed(site, loopback_allowed):
    with pytest.raises(fetching.FetchRefused) as refused:
        fetching.fetch(site.url("/loop/0"))
    assert refused.value.reason == "too-many-redirects"
    assert len(refused.value.exchanges) == fetching.MAX_REDIRECTS + 1


def test_no_more_than_the_size_cap_is_read(site, loopback_allowed):
    result = fetching.fetch(site.url("/huge"))
    assert result.final.truncated
    assert len(result.final.body) == fetching.MAX_BYTES


def test_a_slow_site_is_given_up_on(site, loopback_allowed, monkeypatch):
    monkeypatch.setattr(fetching, "READ_TIMEOUT", 0.5)
    site.slow_seconds = 2.0
    with pytest.raises(fetching.FetchRefused) as refused:
        fetching.fetch(site.url("/slow"))
    assert refused.value.reason == "timeout"


def test_each_request_names_the_archive_software(site, loopback_allowed):
    fetching.fetch(site.url("/bare"))
    _method, _path, headers = _requests_to(site, "/bare")[-1]
    assert headers["User-Agent"] == fetching.USER_AGENT
    assert "KnowYourRightsCoverageArchive" in fetching.USER_AGENT


def test_redirects_are_followed_and_every_hop_is_kept(site, loopback_allowed):
    result = fetching.fetch(site.url("/old-place"))
    assert [hop.status for hop in result.exchanges] == [301, 200]
    assert result.url == site.url("/new-place")


def test_compressed_and_chunked_pages_are_read(site, loopback_allowed):
    for path in ("/gzip", "/chunked"):
        result = fetching.fetch(site.url(path))
        page = extraction.extract(result.url, result.final.decoded_body(), result.final.charset)
        assert page.title == "Tenants learn their rights at a library workshop", path


# --- Extraction, field by field -----------------------------------------------------------------


def _proposal(site, path):
    result = fetching.fetch(site.url(path))
    return extraction.extract(result.url, result.final.decoded_body(), result.final.charset)


def test_an_english_news_page_with_json_ld_and_open_graph(site, loopback_allowed):
    page = _proposal(site, ENGLISH)
    assert page.title == "Tenants learn their rights at a library workshop"
    assert page.byline == "Pat Placeholder, Sam Sample"
    # JSON-LD's datePublished wins over the meta tag (4 March) and the <time> element (1 March).
    assert (page.date, page.date_precision, page.date_source) == ("2025-03-05", "day", "json-ld")
    assert page.site_name == "Example Ledger"
    assert page.language == "en"
    assert page.summary == "An invented workshop where invented tenants practise what to say at the door."
    assert "Dozens of invented tenants gathered" in page.body
    assert "\n\nVolunteers from a made-up neighbourhood group" in page.body
    assert "Home" not in page.body.split("\n\n")[0]  # the navigation is not the text
    assert page.missing == []


def test_a_spanish_page_gives_its_date_at_the_precision_it_has(site, loopback_allowed):
    page = _proposal(site, SPANISH)
    assert page.title == "Vecinos aprenden sus derechos en un taller"
    assert page.byline == "Ana Ejemplo"
    assert (page.date, page.date_precision, page.date_source) == ("2024-11", "month", "meta")
    assert page.site_name == "Diario Inventado"
    assert page.language == "es"
    assert page.summary == "Un taller inventado en una biblioteca imaginaria."
    assert "derecho a guardar silencio" in page.body


def test_a_page_with_microdata(site, loopback_allowed):
    page = _proposal(site, "/stories/hotline-volunteers")
    assert page.title == "Hotline volunteers trained"
    assert page.byline == "Lee Lorem"
    assert (page.date, page.date_precision) == ("2023-07-14", "day")
    assert "invented hotline trained invented volunteers" in page.body
    assert "summary" in page.missing and "language" in page.missing


def test_a_page_with_no_metadata_still_gives_its_text_and_says_what_is_missing(site, loopback_allowed):
    page = _proposal(site, "/bare")
    assert page.title == "" and page.byline == "" and page.date == ""
    assert "A plain page with no title" in page.body
    assert {"title", "byline", "date", "language", "summary"} <= set(page.missing)


def test_the_date_in_the_address_is_used_when_the_page_gives_none():
    page = extraction.extract("https://ledger.example/2021/06/18/story", b"<html><body><p>Text.</p></body></html>")
    assert (page.date, page.date_precision, page.date_source) == ("2021-06-18", "day", "url")
    page = extraction.extract("https://ledger.example/2021/06/story", b"<html><body><p>Text.</p></body></html>")
    assert (page.date, page.date_precision, page.date_source) == ("2021-06", "month", "url")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-03-05T10:00:00-05:00", ("2025-03-05", "day")),
        ("2025-03", ("2025-03", "month")),
        ("2025", ("2025", "year")),
        ("yesterday", ("", "unknown")),
        ("", ("", "unknown")),
    ],
)
def test_dates_keep_their_precision(text, expected):
    assert extraction.partial_date(text) == expected


def test_extraction_survives_broken_markup():
    for page in (b"", b"<html", b"\xff\xfe\x00garbage", b'<script type="application/ld+json">{not json</script>'):
        assert isinstance(extraction.extract("https://ledger.example/x", page), extraction.Proposal)


# --- Captures ----------------------------------------------------------------------------------


def test_a_capture_is_a_warc_file_with_requests_responses_and_sha256_digests(site, loopback_allowed, db):
    result = fetching.fetch(site.url("/old-place"))
    capture = save_capture(result, text="text")

    with capture.warc.open("rb") as stored:
        data = stored.read()
    assert hashlib.sha256(data).hexdigest() == capture.warc_sha256
    records = list(ArchiveIterator(io.BytesIO(data), check_digests="raise"))
    kinds = [(record.rec_type, record.rec_headers.get_header("WARC-Target-URI")) for record in records]
    assert kinds == [
        ("warcinfo", None),
        ("request", site.url("/old-place")),
        ("response", site.url("/old-place")),
        ("request", site.url("/new-place")),
        ("response", site.url("/new-place")),
    ]
    last = records[-1]
    assert last.http_headers.get_statuscode() == "200"
    assert last.rec_headers.get_header("WARC-IP-Address") == "127.0.0.1"
    payload = ArchiveIterator(io.BytesIO(data))
    bodies = [record.content_stream().read() for record in payload if record.rec_type == "response"]
    assert hashlib.sha256(bodies[-1]).hexdigest() == capture.payload_sha256
    assert capture.payload_size == len(bodies[-1])
    assert last.rec_headers.get_header("WARC-Payload-Digest").startswith("sha256:")
    assert records[1].http_headers.get_header("User-Agent") == fetching.USER_AGENT
    assert capture.url == site.url("/new-place") and capture.requested_url == site.url("/old-place")
    assert capture.status_code == 200


def test_a_compressed_page_is_kept_as_it_was_sent(site, loopback_allowed, db):
    result = fetching.fetch(site.url("/gzip"))
    capture = save_capture(result)
    with capture.warc.open("rb") as stored:
        for record in ArchiveIterator(stored):
            if record.rec_type == "response":
                assert record.http_headers.get_header("Content-Encoding") == "gzip"
                raw = record.raw_stream.read()
                break
    assert hashlib.sha256(raw).hexdigest() == capture.payload_sha256
    assert raw[:2] == b"\x1f\x8b"


# --- Proposals and drafts ------------------------------------------------------------------------


def test_a_link_becomes_a_draft_with_its_capture(site, loopback_allowed, media_type, editor):
    proposed = adding.propose(site.url(ENGLISH), user=editor)
    assert proposed.kind == "proposed", proposed.message
    assert proposed.source is None  # no such source yet: proposed as a new one
    assert adding.proposed_source_name(proposed.capture.proposal) == "Example Ledger"
    assert Article.objects.count() == 0  # nothing before the editor confirms

    made = adding.make_draft(proposed.capture, user=editor, new_source_name="Example Ledger")
    assert made.kind == "draft", made.message
    article = made.article
    assert article.status == Article.Status.DRAFT and not article.is_public()
    assert article.title == "Tenants learn their rights at a library workshop"
    assert article.byline == "Pat Placeholder, Sam Sample"
    assert article.publication_date.isoformat() == "2025-03-05" and article.date_precision == "day"
    assert article.language == "en"
    assert article.source.name == "Example Ledger"
    assert article.source.homepage_url == f"http://127.0.0.1:{site.port}/"
    assert article.item_type == media_type
    assert article.original_url == site.url(ENGLISH)
    assert article.created_by == editor
    assert list(article.captures.all()) == [proposed.capture]
    entry = article.history.latest()
    assert entry.history_user == editor and entry.history_change_reason.startswith("Drafted from a link")
    assert any("JSON-LD" in note for note in made.notes)


def test_a_month_dated_spanish_page_becomes_a_month_dated_spanish_draft(site, loopback_allowed, media_type):
    source = SourceFactory(name="Diario Inventado")
    proposed = adding.propose(site.url(SPANISH))
    assert proposed.source == source  # matched by its site name
    made = adding.make_draft(proposed.capture, source=proposed.source)
    assert made.article.publication_date.isoformat() == "2024-11-01"
    assert made.article.date_precision == "month"
    assert made.article.language == "es"


def test_a_draft_from_a_link_keeps_the_link_without_its_tracking_parameters(site, loopback_allowed, media_type):
    proposed = adding.propose(site.url(ENGLISH) + "?utm_source=newsletter&fbclid=abc")
    made = adding.make_draft(proposed.capture, new_source_name="Example Ledger")
    assert made.kind == "draft", made.message
    assert made.article.original_url == site.url(ENGLISH)


def test_a_source_is_matched_by_its_site_when_the_names_differ(site, loopback_allowed, media_type):
    source = SourceFactory(name="The Ledger (invented)", homepage_url=f"http://127.0.0.1:{site.port}/")
    assert adding.propose(site.url(ENGLISH)).source == source


def test_a_bare_page_gives_a_draft_that_says_what_is_missing(site, loopback_allowed, media_type):
    proposed = adding.propose(site.url("/bare"))
    made = adding.make_draft(proposed.capture, new_source_name="127.0.0.1")
    assert made.kind == "draft"
    assert made.article.title == "Untitled page at 127.0.0.1"
    assert made.article.publication_date is None and made.article.date_precision == "unknown"
    assert any("Not found on the page" in note and "byline" in note for note in made.notes)
    assert any("Language not found" in note for note in made.notes)


def test_a_link_already_in_the_archive_is_reported_and_not_fetched(site, loopback_allowed, media_type):
    existing = ArticleFactory(original_url=site.url(ENGLISH))
    before = len(site.requests)
    outcome = adding.propose(site.url(ENGLISH) + "?utm_source=newsletter#top")
    assert outcome.kind == "duplicate" and outcome.article == existing
    assert len(site.requests) == before
    assert Capture.objects.count() == 0


def test_a_link_that_redirects_to_a_piece_in_the_archive_is_a_duplicate(site, loopback_allowed, media_type):
    existing = ArticleFactory(original_url=site.url("/new-place"))
    outcome = adding.propose(site.url("/old-place"))
    assert outcome.kind == "duplicate" and outcome.article == existing
    assert Capture.objects.count() == 0


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/missing-page", "404"),
        ("/gone", "410"),
        ("/report.pdf", "application/pdf"),
        ("/huge", "larger than 10 MB"),
        ("/to-private", "private or reserved address"),
    ],
)
def test_what_cannot_become_a_draft_is_refused_and_leaves_nothing(site, loopback_allowed, media_type, path, words):
    outcome = adding.propose(site.url(path))
    assert outcome.kind == "refused" and words in outcome.message
    assert Capture.objects.count() == 0 and Article.objects.count() == 0


def test_a_proposal_is_made_into_a_draft_once(site, loopback_allowed, media_type):
    proposed = adding.propose(site.url(ENGLISH))
    first = adding.make_draft(proposed.capture, new_source_name="Example Ledger")
    again = adding.make_draft(proposed.capture, new_source_name="Example Ledger")
    assert again.kind == "duplicate" and again.article == first.article
    assert Article.objects.count() == 1 and Source.objects.filter(name="Example Ledger").count() == 1


def test_capturing_an_existing_piece_again_keeps_every_capture_newest_first(site, loopback_allowed, media_type):
    article = ArticleFactory(original_url=site.url(ENGLISH))
    first = adding.capture_again(article)
    second = adding.capture_again(article)
    assert first.kind == second.kind == "captured"
    assert list(article.captures.all()) == [second.capture, first.capture]
    assert second.capture.text and "Dozens of invented tenants" in second.capture.text


def test_capturing_again_reports_a_refusal(site, media_type):
    article = ArticleFactory(original_url=site.url(ENGLISH))  # the setting is off: loopback refused
    outcome = adding.capture_again(article)
    assert outcome.kind == "refused" and "private or reserved" in outcome.message
    assert article.captures.count() == 0


def test_stale_proposals_are_removed_with_their_files(
    site, loopback_allowed, media_type, django_capture_on_commit_callbacks
):
    proposed = adding.propose(site.url(ENGLISH))
    name = proposed.capture.warc.name
    storage = proposed.capture.warc.storage
    Capture.objects.filter(pk=proposed.capture.pk).update(
        captured_at=proposed.capture.captured_at - adding.PROPOSAL_LIFETIME * 2
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert adding.discard_stale_proposals() == 1
    assert not storage.exists(name) and Capture.objects.count() == 0


# --- manage.py add_from_links -----------------------------------------------------------------------


def test_the_command_reports_each_link_and_fails_when_any_did(site, loopback_allowed, media_type, tmp_path, capsys):
    UserFactory(username="ed")
    SourceFactory(name="Diario Inventado")
    existing = ArticleFactory(original_url=site.url("/new-place"))
    links = tmp_path / "links.txt"
    links.write_text(f"{site.url(SPANISH)}\n\n{site.url('/gone')}\n")
    with pytest.raises(CommandError) as failed:
        call_command("add_from_links", site.url("/old-place"), "--file", str(links), "--user", "ed")
    assert failed.value.returncode == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"{site.url('/old-place')}: already in the archive as “{existing.title}”")
    assert lines[1].startswith(f"{site.url(SPANISH)}: draft created, “Vecinos aprenden sus derechos en un taller”")
    assert "/admin/coverage_archive/article/" in lines[1]
    assert lines[2].startswith(f"{site.url('/gone')}: refused: The site answered 410")
    draft = Article.objects.get(original_url=site.url(SPANISH))
    assert draft.status == Article.Status.DRAFT and draft.history.latest().history_user.username == "ed"


def test_the_command_refuses_an_unknown_source_unless_told_to_create_it(site, loopback_allowed, media_type, capsys):
    with pytest.raises(CommandError):
        call_command("add_from_links", site.url(ENGLISH))
    assert "Its source “Example Ledger” is not in the archive" in capsys.readouterr().out
    assert Capture.objects.count() == 0  # the unused capture is not left behind
    call_command("add_from_links", site.url(ENGLISH), "--create-sources")
    assert Article.objects.get().source.name == "Example Ledger"


def test_the_command_refuses_bad_arguments(db):
    with pytest.raises(CommandError, match="at least one link"):
        call_command("add_from_links")
    with pytest.raises(CommandError, match="at most 20"):
        call_command("add_from_links", *[f"https://ledger.example/{n}" for n in range(21)])
    with pytest.raises(CommandError, match="No user named"):
        call_command("add_from_links", "https://ledger.example/1", "--user", "nobody")


# --- The admin pages ---------------------------------------------------------------------------------


ADD_FROM_LINK = "/admin/coverage_archive/article/add-from-link/"


def test_only_staff_who_may_add_coverage_can_fetch(client, site, loopback_allowed, media_type):
    assert client.get(ADD_FROM_LINK).status_code == 302  # to the sign-in page
    viewer = UserFactory(username="viewer", is_staff=True)
    client.force_login(viewer)
    before = len(site.requests)
    assert client.post(ADD_FROM_LINK, {"links": site.url(ENGLISH)}).status_code == 403
    assert len(site.requests) == before


def test_the_admin_proposes_then_makes_drafts_the_editor_confirmed(client, site, loopback_allowed, media_type, editor):
    client.force_login(editor)
    page = client.get(ADD_FROM_LINK)
    assert page.status_code == 200 and b"One link a line" in page.content
    existing = ArticleFactory(original_url=site.url("/new-place"))
    links = "\n".join([site.url(ENGLISH), site.url(SPANISH), site.url("/old-place"), "ftp://ledger.example/x"])

    review = client.post(ADD_FROM_LINK, {"links": links})
    assert review.status_code == 200
    text = review.content.decode()
    assert "already in the archive as" in text and existing.title in text
    assert "Only http:// and https:// addresses can be fetched." in text
    formset = review.context["formset"]
    assert [form.initial["new_source"] for form in formset.forms] == ["Example Ledger", "Diario Inventado"]

    data = {"make_drafts": "1", "form-TOTAL_FORMS": "2", "form-INITIAL_FORMS": "2"}
    for index, form in enumerate(formset.forms):
        for name in ("capture", "title", "new_source", "item_type"):
            data[f"form-{index}-{name}"] = form.initial[name]
        data[f"form-{index}-make"] = "on"
    data["form-0-title"] = "Tenants learn their rights (title corrected)"
    del data["form-1-make"]  # the editor does not want the Spanish one
    done = client.post(ADD_FROM_LINK, data)
    assert done.status_code == 200
    draft = Article.objects.get(original_url=site.url(ENGLISH))
    assert draft.title == "Tenants learn their rights (title corrected)" and draft.status == "draft"
    assert f"/admin/coverage_archive/article/{draft.pk}/change/" in done.content.decode()
    assert not Article.objects.filter(original_url=site.url(SPANISH)).exists()
    assert Capture.objects.filter(article__isnull=True).count() == 0  # the unwanted proposal is gone
    assert not Source.objects.filter(name="Diario Inventado").exists()


def test_a_new_source_is_only_made_when_the_editor_names_it(client, site, loopback_allowed, media_type, editor):
    client.force_login(editor)
    review = client.post(ADD_FROM_LINK, {"links": site.url(ENGLISH)})
    form = review.context["formset"].forms[0]
    data = {
        "make_drafts": "1",
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "1",
        "form-0-capture": form.initial["capture"],
        "form-0-make": "on",
        "form-0-title": form.initial["title"],
        "form-0-new_source": "",
        "form-0-item_type": form.initial["item_type"],
    }
    again = client.post(ADD_FROM_LINK, data)
    assert again.status_code == 200 and "Choose a source, or name the new one" in again.content.decode()
    assert Article.objects.count() == 0


def test_too_many_links_are_refused_before_anything_is_fetched(client, site, loopback_allowed, editor):
    client.force_login(editor)
    before = len(site.requests)
    links = "\n".join(site.url(f"/page-{n}") for n in range(21))
    page = client.post(ADD_FROM_LINK, {"links": links})
    assert page.status_code == 200 and "21 links: at most 20 at a time." in page.content.decode()
    assert len(site.requests) == before


def test_capture_the_original_now_from_the_admin(client, site, loopback_allowed, media_type, editor):
    article = ArticleFactory(original_url=site.url(ENGLISH))
    client.force_login(editor)
    change = client.get(f"/admin/coverage_archive/article/{article.pk}/change/")
    assert f"/admin/coverage_archive/article/{article.pk}/capture/" in change.content.decode()
    confirm = client.get(f"/admin/coverage_archive/article/{article.pk}/capture/")
    assert confirm.status_code == 200 and article.original_url in confirm.content.decode()
    assert article.captures.count() == 0  # a GET fetches nothing
    done = client.post(f"/admin/coverage_archive/article/{article.pk}/capture/", follow=True)
    assert done.status_code == 200 and "Captured at" in done.content.decode()
    assert article.captures.count() == 1
    assert article.captures.get().payload_sha256 in done.content.decode()  # listed on the piece's page


# --- The reader's side never loads the fetcher -------------------------------------------------------

FETCHING_MODULES = (
    "coverage_archive.preservation.fetching",
    "coverage_archive.preservation.adding",
    "coverage_archive.preservation.capturing",
    "coverage_archive.preservation.extraction",
    "trafilatura",
    "htmldate",
    "warcio",
)


def test_loading_the_site_and_its_admin_does_not_load_the_fetching_code():
    """Django loads every admin module at start-up; the fetcher is loaded only by an editor's fetch."""
    import subprocess
    import sys

    script = (
        "import sys, django; django.setup()\n"
        "from django.urls import get_resolver\n"
        "get_resolver().url_patterns\n"  # the whole URLconf: reader views, API, admin
        "import coverage_archive.views, coverage_archive.pages, coverage_archive.feeds, coverage_archive.exports\n"
        "import coverage_archive.preservation.reading\n"  # the capture pages readers see
        f"print(','.join(m for m in {FETCHING_MODULES!r} if m in sys.modules))\n"
        "import coverage_archive.preservation.admin as a; a._adding()\n"
        f"print(','.join(m for m in {FETCHING_MODULES!r} if m in sys.modules))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "kyr_site.settings_test"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    before, after = run.stdout.splitlines()
    assert before == ""
    assert "coverage_archive.preservation.fetching" in after.split(",")  # the check itself can fail
