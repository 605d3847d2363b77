"""What machines read on an article page: JSON-LD, Open Graph, canonical URL; and its citations."""

import datetime
import json
import re

import pytest

from coverage_archive.dates import DatePrecision
from tests.factories import ArticleFactory, OrganizationFactory, SourceFactory, SubjectFactory
from tests.test_views_pages import SEED_SLUG

pytestmark = pytest.mark.django_db
JSON_LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


def json_ld(html) -> dict:
    blocks = JSON_LD.findall(html)
    assert len(blocks) == 1
    return json.loads(blocks[0])


@pytest.fixture
def full_article(db):
    return ArticleFactory(
        title="Synthetic headline </script><script>alert(1)</script> & more",
        slug="synthetic-full",
        source=SourceFactory(name="Synthetic Source Daily", homepage_url="https://daily.example.org/"),
        subjects=[SubjectFactory(name="Synthetic Subject A"), SubjectFactory(name="Synthetic Subject B")],
        organizations=[OrganizationFactory(name="Synthetic Group")],
        byline="Synthetic Reporter",
        publication_date=datetime.date(2020, 5, 17),
        date_precision=DatePrecision.DAY,
        language="es",
        original_url="https://daily.example.org/synthetic/1",
        archived_url="https://web.archive.example.org/synthetic/1",
    )


def test_done_when_the_seed_pages_json_ld_is_a_news_article(reader, seed):
    data = json_ld(reader.get(f"/es/coverage/{SEED_SLUG}/").text)
    page = f"http://testserver/es/coverage/{SEED_SLUG}/"
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == "Immigrant Groups Have a Special Reason to Oppose Amazon’s Move"
    assert data["datePublished"] == "2018-11"  # at its precision: the month
    assert data["publisher"] == {"@type": "Organization", "name": "WNYC Public Radio", "url": "https://www.wnyc.org/"}
    assert data["about"] == [
        {"@type": "Thing", "name": "Organizing", "url": "http://testserver/es/subjects/organizing/"}
    ]
    assert {"@type": "Organization", "name": "Mijente", "url": "http://testserver/es/organizations/mijente/"} in data[
        "mentions"
    ]
    assert len(data["mentions"]) == 8
    assert data["inLanguage"] == "en"
    assert data["archivedAt"] == [page]
    assert "isBasedOn" not in data  # the seed page gives no original URL, and none is invented
    assert "author" not in data


def test_json_ld_holds_every_field_the_article_has(reader, full_article):
    data = json_ld(reader.get("/coverage/synthetic-full/").text)
    assert data["isBasedOn"] == "https://daily.example.org/synthetic/1"
    assert data["archivedAt"] == [
        "https://web.archive.example.org/synthetic/1",
        "http://testserver/coverage/synthetic-full/",
    ]
    assert data["datePublished"] == "2020-05-17"
    assert data["inLanguage"] == "es"
    assert data["author"] == {"@type": "Person", "name": "Synthetic Reporter"}
    assert [subject["name"] for subject in data["about"]] == ["Synthetic Subject A", "Synthetic Subject B"]
    assert [organization["name"] for organization in data["mentions"]] == ["Synthetic Group"]
    assert data["headline"] == "Synthetic headline </script><script>alert(1)</script> & more"


def test_json_ld_cannot_close_its_script_element(reader, full_article):
    html = reader.get("/coverage/synthetic-full/").text
    block = JSON_LD.search(html).group(1)
    assert "<" not in block and ">" not in block and "&" not in block
    assert "\\u003C/script\\u003E" in block
    # The page runs no script: the only <script> is the JSON-LD data block, which the CSP does not execute.
    assert re.findall(r"<script[^>]*>", html) == ['<script type="application/ld+json">']


def test_article_pages_carry_open_graph_twitter_and_canonical_tags(reader, full_article):
    html = reader.get("/es/coverage/synthetic-full/").text
    assert '<link rel="canonical" href="http://testserver/es/coverage/synthetic-full/">' in html
    assert '<meta property="og:type" content="article">' in html
    assert '<meta property="og:url" content="http://testserver/es/coverage/synthetic-full/">' in html
    assert '<meta property="og:site_name" content="Conozca sus derechos">' in html
    assert '<meta property="og:locale" content="es_LA">' in html
    assert '<meta property="article:published_time" content="2020-05-17">' in html
    assert '<meta property="og:title" content="Synthetic headline &lt;/script&gt;&lt;script&gt;' in html
    assert '<meta name="twitter:card" content="summary">' in html


def test_cite_this_gives_a_chicago_note(reader, full_article):
    html = reader.get("/coverage/synthetic-full/").text
    assert (
        '<p class="citation">Synthetic Reporter, “Synthetic headline &lt;/script&gt;&lt;script&gt;alert(1)'
        "&lt;/script&gt; &amp; more,” <i>Synthetic Source Daily</i>, May 17, 2020, "
        "https://daily.example.org/synthetic/1, archived by Know Your Rights, "
        "http://testserver/coverage/synthetic-full/.</p>"
    ) in html


def test_the_seeds_citation_gives_its_month_and_the_archives_copy(reader, seed):
    seed_html = reader.get(f"/coverage/{SEED_SLUG}/").text
    assert (
        "“Immigrant Groups Have a Special Reason to Oppose Amazon’s Move,” <i>WNYC Public Radio</i>, November 2018, "
        in seed_html
    )
    assert f'href="/coverage/{SEED_SLUG}/cite.ris"' in seed_html
    assert f'href="/coverage/{SEED_SLUG}/cite.bib"' in seed_html
    spanish = reader.get(f"/es/coverage/{SEED_SLUG}/").text
    assert "<i>WNYC Public Radio</i>, noviembre de 2018, archivado por Conozca sus derechos, " in spanish


def test_ris_is_a_well_formed_news_record(reader, full_article):
    response = reader.get("/coverage/synthetic-full/cite.ris")
    assert response["Content-Type"].startswith("application/x-research-info-systems")
    assert response["Content-Disposition"] == 'attachment; filename="synthetic-full.ris"'
    text = response.content.decode()
    lines = text.split("\r\n")
    assert lines[0] == "TY  - NEWS"
    assert lines[-2:] == ["ER  - ", ""]
    assert all(re.fullmatch(r"[A-Z][A-Z0-9]  - .*", line) for line in lines[:-1])
    fields = [tuple(line.split("  - ", 1)) for line in lines[:-1]]
    assert ("AU", "Synthetic Reporter") in fields
    assert ("T2", "Synthetic Source Daily") in fields
    assert ("DA", "2020/05/17/") in fields
    assert ("UR", "https://daily.example.org/synthetic/1") in fields
    assert ("KW", "Synthetic Subject B") in fields


def _bibtex_fields(text: str) -> dict:
    """A small BibTeX reader: one entry, balanced braces, name = {value} or bare value."""
    match = re.fullmatch(r"@article\{([A-Za-z0-9]+),\n(.*)\n\}\n", text, re.S)
    assert match, text
    depth = 0
    for character in text.replace("\\{", "").replace("\\}", ""):
        depth += {"{": 1, "}": -1}.get(character, 0)
        assert depth >= 0
    assert depth == 0
    fields = {}
    for line in match.group(2).split(",\n"):
        name, value = line.strip().split(" = ", 1)
        fields[name] = value
    return fields


def test_bibtex_is_a_well_formed_entry_with_escaped_text(reader, full_article):
    response = reader.get("/coverage/synthetic-full/cite.bib")
    assert response["Content-Disposition"] == 'attachment; filename="synthetic-full.bib"'
    fields = _bibtex_fields(response.content.decode())
    assert fields["title"] == "{{Synthetic headline </script><script>alert(1)</script> \\& more}}"
    assert fields["journal"] == "{Synthetic Source Daily}"
    assert fields["year"] == "{2020}" and fields["month"] == "may" and fields["day"] == "{17}"
    assert fields["url"] == "{https://daily.example.org/synthetic/1}"


def test_bibtex_of_the_seed_has_month_precision(reader, seed):
    fields = _bibtex_fields(reader.get(f"/coverage/{SEED_SLUG}/cite.bib").content.decode())
    assert fields["year"] == "{2018}" and fields["month"] == "nov" and "day" not in fields


def test_citations_exist_only_for_published_articles(reader):
    ArticleFactory(slug="synthetic-draft", draft=True)
    assert reader.get("/coverage/synthetic-draft/cite.ris").status_code == 404
    assert reader.get("/coverage/synthetic-draft/cite.bib").status_code == 404
