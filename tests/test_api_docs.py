"""/api/: the read API's documentation, in the site's own pages (English and Spanish), with an example
for every operation whose links answer, linked from every footer."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from coverage_archive.taxonomies import TAXONOMIES

pytestmark = pytest.mark.django_db


def _examples(text):
    return set(re.findall(r'href="(http://testserver/api/v1/[^"]*)"', text))


def test_the_api_page_has_a_working_example_for_every_operation(reader, seed):
    response = reader.get("/api/")
    assert response.status_code == 200
    assert not response.cookies
    text = response.text
    assert "<h1" in text and "The archive’s data: the read API" in text
    assert "curl 'http://testserver/api/v1/articles/?subject=organizing&amp;facets=source'" in text
    examples = _examples(text.replace("&amp;", "&"))
    operations = {"/api/v1/articles/", "/api/v1/articles/{slug}/", "/api/v1/openapi.json"}
    operations |= {f"/api/v1/{t.path}/" for t in TAXONOMIES} | {f"/api/v1/{t.path}/{{slug}}/" for t in TAXONOMIES}
    shown = set()
    for url in examples:
        answer = reader.get(url.removeprefix("http://testserver"))
        assert answer.status_code == 200, url
        path = url.removeprefix("http://testserver").split("?")[0]
        shown.add(re.sub(r"^(/api/v1/[a-z]+/)[^/]+/$", r"\1{slug}/", path))
    assert shown == operations


def test_the_api_page_speaks_spanish_at_its_spanish_address(reader, seed):
    response = reader.get("/es/api/")
    assert response.status_code == 200
    assert '<html lang="es">' in response.text
    assert "Los datos del archivo: la API de lectura" in response.text
    # The examples are the same addresses: the API itself has no language.
    assert _examples(response.text) == _examples(reader.get("/api/").text)


def test_the_api_page_reads_a_few_rows_however_large_the_archive(reader, seed):
    reader.get("/api/")
    with CaptureQueriesContext(connection) as queries:
        reader.get("/api/")
    # The first term of each taxonomy (4) and the newest published piece (1), each one row by an
    # index; on PostgreSQL, around them, the reader's statement timeout set and reset (budget.py).
    expected = 5 + 2 * (connection.vendor == "postgresql")
    assert len(queries) == expected, [q["sql"] for q in queries.captured_queries]


@pytest.mark.parametrize("path", ["/", "/coverage/", "/privacy/", "/api/", "/no-such-page/", "/es/"])
def test_every_footer_links_to_the_api_page(reader, seed, path):
    text = reader.get(path).text
    footer = text[text.index("<footer") :]
    assert f'<a href="{"/es" if path.startswith("/es/") else ""}/api/">' in footer


def test_an_empty_archive_still_shows_the_api_page(reader):
    assert reader.get("/api/").status_code == 200
