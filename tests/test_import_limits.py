"""The import's length limits and new slugs follow the model fields."""

from coverage_archive.importing import import_csv
from coverage_archive.models import Article, Subject
from tests.csv_files import csv_text


def synthetic_rows(title, count=1):
    return [
        {
            "title": title,
            "source": "Synthetic Source",
            "type": "Synthetic Type",
            "subjects": "Synthetic subject " + "s" * 150,
            "original_url": f"https://news.example.org/synthetic/limits/{number}",
        }
        for number in range(count)
    ]


def test_new_slugs_take_nine_tenths_of_the_slug_field_and_count_on_from_there(db):
    title = "Synthetic " + "t" * 290  # 300 characters: the most a title holds

    plan, result = import_csv(csv_text(synthetic_rows(title, count=2)), create_terms=True)

    assert plan.errors == []
    assert result.created == 2
    base = ("synthetic-" + "t" * 290)[:180]
    assert sorted(Article.objects.values_list("slug", flat=True)) == [base, f"{base}-2"]
    assert Subject.objects.get().slug == ("synthetic-subject-" + "s" * 150)[:90]


def test_a_title_longer_than_the_title_field_is_refused_naming_its_limit(db):
    plan, _result = import_csv(csv_text(synthetic_rows("x" * 301)), create_terms=True, dry_run=True)

    assert [(error.column, error.message) for error in plan.errors] == [
        ("title", "The title is 301 characters long; at most 300 fit.")
    ]
