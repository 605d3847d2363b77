import pytest
from django.core.management import CommandError, call_command

from coverage_archive.models import Article, Organization, Source, Subject
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def test_it_adds_visibly_synthetic_published_articles_with_taxonomy(capsys):
    call_command("seed_synthetic", "--articles", "50", "--batch-size", "20", "--sources", "7", "--subjects", "5")
    assert Article.objects.count() == 50
    assert Article.objects.published().count() == 50
    for article in Article.objects.select_related("source")[:10]:
        assert article.title.startswith("Synthetic article ") and article.slug.startswith("synthetic-article-")
        assert article.source.name.startswith("Synthetic Source ")
        assert article.subjects.exists()
        assert len(article.body.split()) >= 200
    assert set(Source.objects.values_list("name", flat=True)) <= {f"Synthetic Source {n}" for n in range(1, 8)}
    assert Subject.objects.count() == 5
    assert all(
        name.startswith("Synthetic Organization ") for name in Organization.objects.values_list("name", flat=True)
    )
    assert set(Article.objects.values_list("language", flat=True)) >= {"en", "es"}
    output = capsys.readouterr().out
    assert "20 / 50 articles" in output and "50 / 50 articles" in output and "Added 50 synthetic articles." in output


def test_a_few_sources_are_large_and_many_small():
    call_command("seed_synthetic", "--articles", "400", "--sources", "40", verbosity=0)
    sizes = sorted((source.articles.count() for source in Source.objects.all()), reverse=True)
    assert sizes[0] > 5 * sizes[len(sizes) // 2]


def test_running_it_again_adds_more_without_clashing():
    call_command("seed_synthetic", "--articles", "10", verbosity=0)
    call_command("seed_synthetic", "--articles", "10", verbosity=0)
    assert Article.objects.count() == 20
    assert Article.objects.filter(slug="synthetic-article-20").exists()


def test_it_refuses_an_archive_with_real_coverage_unless_forced(seed):
    with pytest.raises(CommandError, match="real"):
        call_command("seed_synthetic", "--articles", "5", verbosity=0)
    assert Article.objects.count() == 1
    call_command("seed_synthetic", "--articles", "5", "--force", verbosity=0)
    assert Article.objects.count() == 6


@pytest.mark.parametrize(
    ("slug", "source_slug"),
    [
        ("synthetic-article-7", "community-radio"),  # numbered like a synthetic article, from an editor's source
        ("synthetic-data-guide", "synthetic-source-1"),  # an editor's slug
    ],
)
def test_only_its_own_articles_count_as_synthetic(slug, source_slug):
    ArticleFactory(slug=slug, source__slug=source_slug)
    with pytest.raises(CommandError, match="1 real"):
        call_command("seed_synthetic", "--articles", "5", verbosity=0)


def test_dry_run_writes_nothing(capsys):
    call_command("seed_synthetic", "--articles", "5", "--dry-run")
    assert "Would add 5" in capsys.readouterr().out
    assert not Article.objects.exists() and not Source.objects.exists()


def test_nonsense_counts_are_refused():
    with pytest.raises(CommandError):
        call_command("seed_synthetic", "--articles", "0", verbosity=0)


def test_synthetic_articles_beside_factory_ones_are_counted_as_synthetic():
    ArticleFactory(slug="synthetic-article-2")  # factories use synthetic slugs too
    ArticleFactory(slug="synthetic-article-10")
    call_command("seed_synthetic", "--articles", "3", verbosity=0)
    assert Article.objects.count() == 5
    assert Article.objects.filter(slug="synthetic-article-13").exists()


def test_each_article_is_searchable_by_its_organizations(client):
    """The links go in before their articles; the search index must still hold every name."""
    call_command("seed_synthetic", "--articles", "30", "--organizations", "3", verbosity=0)
    for organization in Organization.objects.all():
        response = client.get("/coverage/", {"q": f'"{organization.name}"'})
        assert response.context["page_obj"].paginator.count == organization.articles.count() > 0


def test_the_vocabulary_has_a_long_tail_of_rare_invented_words():
    from coverage_archive.synthetic import TAIL_WORDS, SyntheticArchive

    generator = SyntheticArchive(1, sources=2, subjects=2, organizations=2, types=1)
    texts = [set(generator.text("en", 350).lower().replace(".", " ").split()) for _ in range(400)]
    share = {word: sum(word in text for text in texts) / len(texts) for word in TAIL_WORDS[:2000]}
    assert max(share.values()) > 0.5 and 0 < share[TAIL_WORDS[600]] < 0.05
    assert len(set(TAIL_WORDS)) == 4000 and all(word.isalpha() and word.isascii() for word in TAIL_WORDS)


def test_first_number_lets_two_processes_seed_separate_ranges():
    call_command("seed_synthetic", "--articles", "5", verbosity=0)
    call_command("seed_synthetic", "--articles", "5", "--first-number", "1001", verbosity=0)
    assert Article.objects.filter(slug="synthetic-article-1005").exists() and Article.objects.count() == 10
    with pytest.raises(CommandError, match="clash"):
        call_command("seed_synthetic", "--articles", "10", "--batch-size", "4", "--first-number", "1003", verbosity=0)
    assert Article.objects.count() == 10  # the clashing batch left nothing behind
    with pytest.raises(CommandError, match="at least 1"):
        call_command("seed_synthetic", "--articles", "5", "--first-number", "0", verbosity=0)
