"""English and Spanish: complete translations, Spanish under /es/, switching by plain links, no cookie."""

import ast
import gettext
import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils.translation.template import templatize

from tests.factories import ArticleFactory
from tests.test_views_pages import PUBLIC_PAGES, SEED_SLUG

ROOT = Path(settings.BASE_DIR)
PO_FILE = ROOT / "locale" / "es" / "LC_MESSAGES" / "django.po"
MO_FILE = PO_FILE.with_suffix(".mo")
GETTEXT_FUNCTIONS = {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy", "pgettext", "pgettext_lazy"}


def spanish_catalog() -> dict:
    """msgid (or (msgid, msgid_plural)) → translation(s), from the .po file."""
    catalog = {}
    for entry in polib.pofile(str(PO_FILE)):
        if entry.obsolete:
            continue
        if entry.msgid_plural:
            catalog[(entry.msgid, entry.msgid_plural)] = entry.msgstr_plural
        else:
            catalog[entry.msgid] = entry.msgstr
    return catalog


def template_messages():
    """Every (template, msgid) the templates mark for translation, read as makemessages reads them."""
    literal = r"u'(?:[^'\\]|\\.)*'"
    call = re.compile(rf"\b(n?gettext|n?pgettext)\(({literal})(?:,\s*({literal}))?")
    for path in sorted((ROOT / "templates").rglob("*.html")):
        for function, first, second in call.findall(templatize(path.read_text(), origin=str(path))):
            if "pgettext" in function:
                continue  # the archive uses no message contexts
            args = [ast.literal_eval(first)] + ([ast.literal_eval(second)] if second else [])
            yield path.relative_to(ROOT), args[0] if function == "gettext" else tuple(args)


def python_messages():
    """Every (module, msgid) the Python code marks with a literal: _("…"), gettext_lazy("…"), ngettext(…)."""
    for path in sorted((ROOT / "coverage_archive").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            if node.func.id not in GETTEXT_FUNCTIONS or not node.args:
                continue
            strings = [
                arg.value for arg in node.args[:2] if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
            ]
            if not strings:
                continue
            yield path.relative_to(ROOT), strings[0] if node.func.id.startswith(("_", "gettext")) else tuple(strings)


def test_every_template_string_is_translated_to_spanish():
    catalog = spanish_catalog()
    messages = list(template_messages())
    assert len(messages) > 100  # the extraction itself works
    untranslated = [
        (str(where), msgid)
        for where, msgid in messages
        if not (catalog.get(msgid) if isinstance(msgid, str) else all((catalog.get(msgid) or {0: ""}).values()))
    ]
    assert not untranslated, "run `make messages` and translate these in locale/es/LC_MESSAGES/django.po"


def test_every_python_string_is_translated_to_spanish():
    catalog = spanish_catalog()
    messages = list(python_messages())
    assert len(messages) > 100
    untranslated = [
        (str(where), msgid)
        for where, msgid in messages
        if not (catalog.get(msgid) if isinstance(msgid, str) else all((catalog.get(msgid) or {0: ""}).values()))
    ]
    assert not untranslated


def test_the_spanish_catalog_is_complete_with_no_fuzzy_entries():
    po = polib.pofile(str(PO_FILE))
    assert po.percent_translated() == 100
    assert not po.fuzzy_entries()
    assert po.metadata["Plural-Forms"] == "nplurals=2; plural=(n != 1);"


def test_the_committed_mo_file_matches_the_po_file():
    """Django reads the .mo; CI has no gettext tools, so the compiled file is committed and checked here."""
    with MO_FILE.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for msgid, translation in spanish_catalog().items():
        if isinstance(msgid, tuple):
            assert compiled.ngettext(*msgid, 1) == translation[0], msgid
            assert compiled.ngettext(*msgid, 5) == translation[1], msgid
        else:
            assert compiled.gettext(msgid) == translation, msgid
    # Nothing compiled that the .po no longer holds (a stale .mo); "" is the header.
    expected = {(key[0], form) for key in spanish_catalog() if isinstance(key, tuple) for form in (0, 1)}
    expected |= {key for key in spanish_catalog() if isinstance(key, str)}
    assert set(compiled._catalog) - {""} == expected


ENGLISH_CHROME = ["Skip to content", ">Coverage<", ">Subjects<", ">Sources<", "Search coverage", "Know Your Rights<"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_every_public_page_renders_in_spanish_under_es(reader, seed, path):
    response = reader.get(f"/es{path}")
    assert response.status_code == 200
    html = response.text
    assert '<html lang="es">' in html
    assert '<a class="skip-link" href="#main">Saltar al contenido</a>' in html
    assert ">Conozca sus derechos</a>" in html
    for english in ENGLISH_CHROME:
        assert english not in html, english
    assert response["Content-Language"] == "es"


@pytest.mark.django_db
def test_done_when_the_spanish_organizing_view_lists_the_wnyc_piece(reader, seed):
    ArticleFactory(title="Synthetic piece on another subject")
    html = reader.get("/es/coverage/", {"subject": "organizing"}).text
    assert "Immigrant Groups Have a Special Reason to Oppose Amazon’s Move" in html  # never translated
    assert "Synthetic piece on another subject" not in html
    assert f'href="/es/coverage/{SEED_SLUG}/"' in html
    assert "Un artículo" in html
    assert '<time datetime="2018-11">noviembre de 2018</time>' in html
    assert "<h1>Cobertura</h1>" in html
    assert ">Temas</a>" in html and ">Fuentes</a>" in html and ">Organizaciones</a>" in html


@pytest.mark.django_db
def test_article_pages_in_spanish_show_the_articles_own_language(reader, seed):
    html = reader.get(f"/es/coverage/{SEED_SLUG}/").text
    assert "<dt>Idioma</dt><dd>Inglés</dd>" in html
    assert 'lang="en"' in html  # the text itself is marked as English, never machine-translated


@pytest.mark.django_db
def test_switching_language_keeps_the_page_and_its_filters(reader, seed):
    query = "subject=organizing&amp;date_from=2018&amp;sort=oldest"
    english = reader.get("/coverage/?subject=organizing&date_from=2018&sort=oldest").text
    assert f'<a href="/es/coverage/?{query}" lang="es" hreflang="es">Español</a>' in english
    assert f'<link rel="alternate" hreflang="es" href="http://testserver/es/coverage/?{query}">' in english
    assert f'<link rel="alternate" hreflang="x-default" href="http://testserver/coverage/?{query}">' in english
    spanish = reader.get("/es/coverage/?subject=organizing&date_from=2018&sort=oldest").text
    assert f'<a href="/coverage/?{query}" lang="en" hreflang="en">English</a>' in spanish
    article = reader.get(f"/es/coverage/{SEED_SLUG}/").text
    assert f'<a href="/coverage/{SEED_SLUG}/" lang="en" hreflang="en">English</a>' in article


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/es/", "/coverage/?subject=organizing", "/es/coverage/?subject=organizing"])
def test_choosing_a_language_sets_no_cookie(reader, seed, path):
    response = reader.get(path)
    assert not response.cookies
    assert "Set-Cookie" not in response


@pytest.mark.django_db
def test_the_language_comes_from_the_url_alone(reader, seed):
    response = reader.get("/coverage/", headers={"accept-language": "es"})
    assert response.status_code == 200  # no redirect to /es/
    assert '<html lang="en">' in response.text
    reader.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    assert '<html lang="en">' in reader.get("/coverage/").text


# --- Taxonomy names in Spanish --------------------------------------------------------------


@pytest.mark.django_db
def test_the_seed_terms_have_spanish_names_on_the_spanish_pages(reader, seed):
    spanish = reader.get("/es/coverage/", {"subject": "organizing"}).text
    assert ">Organización comunitaria</a>" in spanish  # the result's subject tag, and its facet
    assert "Tema: Organización comunitaria" in spanish  # the active-filter chip
    assert "<span>Cobertura de prensa</span>" in spanish
    english = reader.get("/coverage/", {"subject": "organizing"}).text
    assert ">Organizing</a>" in english and "Organización comunitaria" not in english
    term = reader.get("/es/subjects/organizing/").text
    assert "Organización comunitaria</h1>" in term


@pytest.mark.django_db
def test_a_term_without_a_spanish_name_shows_its_english_name(reader):
    from tests.factories import SubjectFactory

    ArticleFactory(subjects=[SubjectFactory(name="Synthetic Untranslated", slug="synthetic-untranslated")])
    assert ">Synthetic Untranslated</a>" in reader.get("/es/coverage/").text
    page = reader.get("/es/subjects/synthetic-untranslated/").text
    assert "Synthetic Untranslated</h1>" in page


@pytest.mark.django_db
def test_spanish_descriptions_show_on_spanish_term_pages(reader):
    from tests.factories import SubjectFactory

    subject = SubjectFactory(slug="synthetic-described", description="English words.", description_es="Palabras.")
    ArticleFactory(subjects=[subject])
    assert "Palabras." in reader.get("/es/subjects/synthetic-described/").text
    assert "English words." in reader.get("/subjects/synthetic-described/").text


@pytest.mark.django_db
def test_the_data_migration_names_existing_seed_terms_in_spanish_without_overwriting(db):
    import importlib

    from django.apps import apps

    from coverage_archive.models import ItemType, Subject

    migration = importlib.import_module("coverage_archive.migrations.0010_seed_terms_spanish_names")
    organizing = Subject.objects.create(name="Organizing", slug="organizing")
    report = ItemType.objects.create(name="Report", slug="report", name_es="Reportaje")  # an editor's choice
    migration.add_spanish_names(apps, None)
    organizing.refresh_from_db()
    report.refresh_from_db()
    assert organizing.name_es == "Organización comunitaria"
    assert report.name_es == "Reportaje"
    migration.remove_spanish_names(apps, None)
    organizing.refresh_from_db()
    assert organizing.name_es == ""
