"""The privacy page, and the footer link to it from every page."""

import pytest

from coverage_archive.pages import ACCESS_LOG_RETENTION_DAYS

pytestmark = pytest.mark.django_db


def test_privacy_page_says_what_the_site_records_in_plain_words(reader):
    response = reader.get("/privacy/")
    assert response.status_code == 200
    text = response.text
    assert '<h1 id="privacy-heading">Privacy: what this site records about you</h1>' in text
    for promise in ("sets no cookies for readers", "no analytics", "loads nothing from other websites"):
        assert promise in text
    assert "access log" in text and "does not hold your IP address" in text
    assert f"at most {ACCESS_LOG_RETENTION_DAYS} days" in text
    assert not response.cookies


def test_privacy_page_speaks_spanish_at_its_spanish_address(reader):
    response = reader.get("/es/privacy/")
    assert response.status_code == 200
    assert '<html lang="es">' in response.text
    assert "Privacidad: lo que este sitio registra sobre usted" in response.text
    assert "No guarda su dirección IP." in response.text
    assert f"durante {ACCESS_LOG_RETENTION_DAYS} días como máximo" in response.text


def test_privacy_page_refuses_to_be_posted_to(reader):
    assert reader.post("/privacy/").status_code == 405


@pytest.mark.parametrize("path", ["/", "/coverage/", "/subjects/", "/privacy/", "/no-such-page/", "/es/"])
def test_every_footer_links_to_the_privacy_page(reader, seed, path):
    text = reader.get(path).text
    footer = text[text.index("<footer") :]
    if path.startswith("/es/"):
        assert '<a href="/es/privacy/">Privacidad: lo que este sitio registra sobre usted</a>' in footer
    else:
        assert '<a href="/privacy/">Privacy: what this site records about you</a>' in footer
