"""The organization's own archive: the site identity record, where it shows, its cache, the logo,
the favicon and the About page (coverage_archive/identity/)."""

import pytest
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction

from coverage_archive.identity.current import CACHE_KEY
from coverage_archive.identity.models import SiteIdentity
from tests.factories import ArticleFactory, SourceFactory, SubjectFactory, UserFactory

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><circle cx="5" cy="5" r="4" fill="#205"/></svg>'

IDENTITY = {
    "name": "Example Rights Ledger",
    "name_es": "Registro de Derechos de Ejemplo",
    "short_name": "Example Ledger",
    "short_name_es": "Registro Ejemplo",
    "tagline": "Synthetic tagline for tests",
    "tagline_es": "Lema sintético de prueba",
    "about": "Synthetic about text.\n\nSecond paragraph.",
    "about_es": "Texto sintético sobre el archivo.",
    "organization": "Example Organization 7",
    "organization_es": "Organización de Ejemplo 7",
    "contact_email": "archive@example.org",
}


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _save_in_admin(client, logo=None, **changes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {**IDENTITY, **changes}
    if logo is not None:
        data["logo"] = SimpleUploadedFile(*logo)
    url = (
        "/admin/identity/siteidentity/1/change/"
        if SiteIdentity.objects.exists()
        else "/admin/identity/siteidentity/add/"
    )
    return client.post(url, data)


@pytest.fixture
def superuser():
    """A superuser's own browser, apart from the reader's (whose requests must carry no session)."""
    from django.test import Client

    client = Client()
    client.force_login(UserFactory(username="admin", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def named(superuser, media):
    response = _save_in_admin(superuser, logo=("mark.svg", SVG, "image/svg+xml"))
    assert response.status_code == 302, response.content.decode()
    return SiteIdentity.objects.get()


# --- The record -----------------------------------------------------------------------------


def test_a_superuser_sets_the_identity_from_an_empty_form(superuser):
    assert superuser.get("/admin/identity/siteidentity/").status_code == 302
    assert superuser.get("/admin/identity/siteidentity/add/").status_code == 200


def test_the_database_holds_one_identity_at_most():
    SiteIdentity.objects.create()
    with pytest.raises(IntegrityError), transaction.atomic():
        SiteIdentity.objects.create(id=2)


def test_only_superusers_may_edit_the_identity(client, editor):
    client.force_login(editor)
    assert client.get("/admin/identity/siteidentity/add/").status_code == 403
    assert "identity" not in client.get("/admin/").content.decode()
    staff_with_every_permission = UserFactory(username="almost", is_staff=True)
    from django.contrib.auth.models import Permission

    staff_with_every_permission.user_permissions.set(Permission.objects.all())
    client.force_login(staff_with_every_permission)
    assert client.get("/admin/identity/siteidentity/add/").status_code == 403


def test_the_admin_list_goes_to_the_one_record_and_keeps_its_history(superuser, named):
    response = superuser.get("/admin/identity/siteidentity/")
    assert response.status_code == 302 and response["Location"].endswith("/siteidentity/1/change/")
    assert superuser.get("/admin/identity/siteidentity/add/").status_code == 403
    form = superuser.get("/admin/identity/siteidentity/1/change/")
    assert form.status_code == 200 and "PNG or SVG, at most 200 KB" in form.content.decode()
    _save_in_admin(superuser, name="Example Rights Ledger 2")
    history = SiteIdentity.history.order_by("history_date")
    assert [entry.name for entry in history] == ["Example Rights Ledger", "Example Rights Ledger 2"]
    assert all(entry.history_user.username == "admin" for entry in history)
    assert superuser.get("/admin/identity/siteidentity/1/history/").status_code == 200


# --- Where it shows -------------------------------------------------------------------------


def test_with_no_record_every_page_says_what_it_said_before(reader):
    html = reader.get("/").content.decode()
    assert "<title>Media coverage archive · Know Your Rights</title>" in html
    assert "Know Your Rights: media coverage archive" in html
    assert "Know Your Rights keeps a public record" in html
    assert "Conozca sus derechos" in reader.get("/es/").content.decode()


def test_a_named_archive_shows_its_name_on_every_page_in_both_languages(reader, named):
    SubjectFactory(slug="synthetic-subject")
    ArticleFactory(slug="synthetic-piece", source=SourceFactory(name="Synthetic Source 3"))
    home = reader.get("/").content.decode()
    assert "<title>Media coverage archive · Example Ledger</title>" in home
    assert "Example Rights Ledger: Synthetic tagline for tests" in home
    assert "Example Rights Ledger keeps a public record" in home
    assert "Know Your Rights" not in home
    assert f'<img class="site-logo" src="{named.logo_url}" alt="" height="40">' in home
    assert f'<link rel="icon" href="{named.logo_url}" type="image/svg+xml">' in home

    spanish = reader.get("/es/").content.decode()
    assert "Registro de Derechos de Ejemplo" in spanish and "Lema sintético de prueba" in spanish
    assert "· Registro Ejemplo</title>" in spanish and "Conozca sus derechos" not in spanish

    page = reader.get("/coverage/synthetic-piece/").content.decode()
    assert '<meta property="og:site_name" content="Example Rights Ledger">' in page
    assert "archived by Example Rights Ledger, http://testserver/coverage/synthetic-piece/" in page
    assert "archivado por Registro de Derechos de Ejemplo," in reader.get("/es/coverage/synthetic-piece/").text
    assert "DB  - Example Rights Ledger\r\n" in reader.get("/coverage/synthetic-piece/cite.ris").text
    assert "note = {archived by Example Rights Ledger," in reader.get("/coverage/synthetic-piece/cite.bib").text

    feed = reader.get("/coverage/feed/").content.decode()
    assert "<title>Coverage · Example Ledger</title>" in feed
    assert "<name>Example Rights Ledger</name>" in feed

    privacy = reader.get("/privacy/").content.decode()
    assert "This site is run by Example Organization 7." in privacy
    assert "Organización de Ejemplo 7" in reader.get("/es/privacy/").content.decode()


def test_the_admin_carries_the_archives_name_and_icon(superuser, named):
    html = superuser.get("/admin/").content.decode()
    assert "Example Rights Ledger archive" in html
    assert "<title>Editors | Example Rights Ledger archive: editors</title>" in html
    assert f'<link rel="icon" href="{named.logo_url}"' in html


def test_the_admin_says_what_it_said_before_until_named(superuser):
    html = superuser.get("/admin/").content.decode()
    assert "Know Your Rights archive: editors" in html
    assert '<link rel="icon" href="/static/img/favicon.svg" type="image/svg+xml">' in html


# --- The cache ------------------------------------------------------------------------------


def test_a_warm_site_asks_no_query_for_the_identity(reader, named, django_assert_num_queries):
    budget = 2 * (connection.vendor == "postgresql")  # the reader's statement timeout, set and reset
    cache.delete(CACHE_KEY)
    with django_assert_num_queries(1 + budget):  # the identity, once
        reader.get("/about/")
    with django_assert_num_queries(budget):
        assert "Example Rights Ledger" in reader.get("/about/").text


def test_a_saved_change_shows_at_once(reader, superuser, named):
    assert "Example Rights Ledger" in reader.get("/about/").text
    _save_in_admin(superuser, name="Example Renamed Ledger", short_name="")
    assert "<title>About the archive · Example Renamed Ledger</title>" in reader.get("/about/").text


# --- The logo and the favicon ---------------------------------------------------------------


def test_the_logo_is_served_from_storage_with_a_policy_that_runs_nothing(reader, named):
    response = reader.get(named.logo_url)
    assert response.status_code == 200 and response.content == SVG
    assert response["Content-Type"] == "image/svg+xml"
    assert response["Content-Security-Policy"].startswith("default-src 'none'")
    assert "immutable" in response["Cache-Control"]
    assert reader.get("/identity/logo/someone-elses.svg").status_code == 404


def test_a_png_logo_is_kept_and_the_old_one_no_longer_served(reader, superuser, named):
    old_url = named.logo_url
    assert _save_in_admin(superuser, logo=("mark.png", PNG, "image/png")).status_code == 302
    identity = SiteIdentity.objects.get()
    assert identity.logo.name.endswith(".png")
    response = reader.get(identity.logo_url)
    assert response["Content-Type"] == "image/png" and response.content == PNG
    assert reader.get(old_url).status_code == 404


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("x.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "can run script"),
        ("x.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "“onload” attribute"),
        (
            "x.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://www.w3.org/1999/xlink">'
            b'<a x:href="https://example.org/">t</a></svg>',
            "“href” attribute",
        ),
        ("x.svg", b'<!DOCTYPE svg [<!ENTITY a "b">]><svg xmlns="http://www.w3.org/2000/svg"/>', "DOCTYPE"),
        ("x.png", b"GIF89a not a png", "must be a PNG or an SVG"),
        ("x.png", PNG + b"\x00" * 210_000, "at most 200 KB"),
    ],
)
def test_a_logo_that_is_not_a_plain_png_or_svg_is_refused_in_plain_words(superuser, media, name, data, message):
    response = _save_in_admin(superuser, logo=(name, data, "application/octet-stream"))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not SiteIdentity.objects.exists()
    assert not list(media.glob("**/*.*")) if media.exists() else True


def test_favicon_ico_answers_with_the_default_icon_or_the_logo(reader, named):
    cache.set(CACHE_KEY, SiteIdentity(), None)
    response = reader.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"] == "/static/img/favicon.svg"
    cache.delete(CACHE_KEY)
    response = reader.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"] == named.logo_url
    assert reader.get(response["Location"]).status_code == 200


# --- The About page -------------------------------------------------------------------------


def test_the_about_page_says_who_keeps_the_archive_and_how_to_ask_for_a_removal(reader, named):
    html = reader.get("/about/").content.decode()
    assert '<h1 id="about-heading">About Example Rights Ledger</h1>' in html
    assert "<p>Synthetic about text.</p>\n\n<p>Second paragraph.</p>" in html
    assert "The archive is kept by Example Organization 7." in html
    assert 'href="mailto:archive@example.org"' in html
    assert "ask us to remove it" in html
    spanish = reader.get("/es/about/").content.decode()
    assert "Texto sintético sobre el archivo." in spanish and "Organización de Ejemplo 7" in spanish


def test_the_about_page_reads_well_before_anything_is_set(reader):
    response = reader.get("/about/")
    assert response.status_code == 200
    assert "The archive is kept by the organization that runs this site." in response.text
    assert "mailto:" not in response.text
    assert reader.get("/es/about/").status_code == 200


def test_every_footer_links_to_about_and_the_sitemap_lists_about_and_privacy(reader):
    for path in ("/", "/coverage/", "/privacy/", "/es/", "/nothing-here/"):
        assert 'href="/about/"' in reader.get(path).text or 'href="/es/about/"' in reader.get(path).text, path
    sitemap = reader.get("/sitemap-pages-en.xml").content.decode()
    assert "http://testserver/about/" in sitemap and "http://testserver/privacy/" in sitemap
    assert "http://testserver/es/about/" in reader.get("/sitemap-pages-es.xml").content.decode()


def test_the_database_going_away_leaves_the_pages_in_todays_wording(reader, monkeypatch):
    from django.db import OperationalError

    from coverage_archive.identity.current import current_identity

    def unreachable(*args, **kwargs):
        raise OperationalError("synthetic: the database is unreachable")

    cache.delete(CACHE_KEY)
    monkeypatch.setattr(SiteIdentity.objects, "filter", unreachable)
    assert current_identity().display_name == "Know Your Rights"
    assert cache.get(CACHE_KEY) is None


def test_authenticator_apps_list_codes_under_the_archives_name(named):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice(user=UserFactory(username="synthetic-editor"), name="phone")
    assert "issuer=Example%20Rights%20Ledger%20archive" in device.config_url
    cache.set(CACHE_KEY, SiteIdentity(), None)
    assert "issuer=Know%20Your%20Rights%20archive" in device.config_url
