"""The shipped seed archive holds the WNYC article exactly as the seed page has it."""

import hashlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from coverage_archive.dates import DatePrecision
from coverage_archive.models import Article

SEED_NAME = "000_1eb788a455f59809.txt"
SEED_COPY = settings.BASE_DIR / "fixtures" / "seed_source" / SEED_NAME
SHARED_SEED = settings.BASE_DIR.parent / "shared" / "seeds" / SEED_NAME
SLUG = "immigrant-groups-have-a-special-reason-to-oppose-amazons-move"


def seed_page():
    """Title and paragraphs of the seed page; its first lines are page chrome and taxonomy."""
    lines = SEED_COPY.read_text(encoding="utf-8").split("\n")
    assert lines[:5] == [
        "Skip to content",
        "Know Your Rights",
        "Source: WNYC Public Radio",
        "Subject: Organizing",
        "Type: Media Coverage",
    ]
    title, *rest = [line for line in lines[5:] if line.strip()]
    return title, rest


@pytest.mark.skipif(not SHARED_SEED.exists(), reason=f"{SHARED_SEED} is not beside this checkout")
def test_the_repository_copy_of_the_seed_page_matches_the_shared_seed():
    def digest(path):
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()

    assert digest(SEED_COPY) == digest(SHARED_SEED)


def test_seed_article_body_equals_the_seed_page_paragraph_by_paragraph(seed):
    title, paragraphs = seed_page()
    article = Article.objects.get(slug=SLUG)
    assert article.title == title
    assert len(paragraphs) == 15
    assert article.paragraphs() == paragraphs
    assert article.body == "\n\n".join(paragraphs)


def test_seed_article_keeps_curly_quotes_and_the_nine_no_break_spaces(seed):
    body = Article.objects.get(slug=SLUG).body
    assert body.count("\u00a0") == 9
    assert "’" in body and "“" in body and "”" in body
    assert "'" not in body and '"' not in body


def test_seed_article_has_its_taxonomy_and_an_inferred_month_date(seed):
    article = Article.objects.get(slug=SLUG)
    assert article.source.name == "WNYC Public Radio"
    assert article.item_type.name == "Media Coverage"
    assert [s.name for s in article.subjects.all()] == ["Organizing"]
    assert {o.name for o in article.organizations.all()} >= {
        "Make the Road New York",
        "Mijente",
        "ACLU",
        "Unlocal",
        "Project on Government Oversight",
        "Amazon",
        "Palantir",
    }
    assert article.publication_period.isoformat() == "2018-11"
    assert article.date_precision == DatePrecision.MONTH
    assert "November 2018" in article.editors_note
    assert "last month" in article.editors_note
    assert article.original_url == "" and article.original_url_normalized == ""
    assert article.byline == ""
    assert Article.objects.published().filter(pk=article.pk).exists()


def test_seed_loads_only_into_an_empty_archive(db, capsys):
    call_command("load_seed_archive")
    article = Article.objects.get(slug=SLUG)
    article.title = "Corrected by an editor"
    article.save()

    call_command("load_seed_archive")

    assert "seed not loaded" in capsys.readouterr().out
    assert Article.objects.get(slug=SLUG).title == "Corrected by an editor"
    assert Article.objects.count() == 1


def test_seed_dry_run_writes_nothing(db, capsys):
    call_command("load_seed_archive", "--dry-run")
    assert "would load" in capsys.readouterr().out
    assert not Article.objects.exists()
