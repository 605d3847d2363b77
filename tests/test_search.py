"""Search: one behaviour on both databases (coverage_archive.search): stems in
English and Spanish, accents and case ignored, the web syntax, ranking, snippets,
and the index kept current by triggers. Where PostgreSQL and SQLite differ, the
test's name says how."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from coverage_archive.models import Article
from coverage_archive.search import fold, index_scans, matching_is_costly, parse_web_query
from coverage_archive.sql import sqlite_triggers, write_sqlite_planner_statistics
from tests.factories import ArticleFactory, OrganizationFactory, SourceFactory

pytestmark = pytest.mark.django_db
ARCHIVE = "/coverage/"
postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL full-text search")
sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's FTS5 search")


def found(reader, q, **params):
    response = reader.get(ARCHIVE, {"q": q, **params})
    assert response.status_code == 200
    return [article.title for article in response.context["articles"]]


# --- On both databases ----------------------------------------------------------


def test_a_search_matches_words_anywhere_in_title_summary_body_source_or_organizations(reader):
    by_title = ArticleFactory(title="Synthetic article about tenants", body="Nothing.", summary="")
    by_source = ArticleFactory(source=SourceFactory(name="Synthetic Tenants Weekly"), body="", summary="")
    by_org = ArticleFactory(organizations=[OrganizationFactory(name="Synthetic Tenants Union")], body="", summary="")
    ArticleFactory(title="Synthetic article about wages", body="Workers.")
    assert set(found(reader, "tenants")) == {by_title.title, by_source.title, by_org.title}


def test_every_word_must_match(reader):
    both = ArticleFactory(body="Synthetic text about surveillance cameras near schools.")
    ArticleFactory(body="Synthetic text about surveillance only.")
    assert found(reader, "surveillance cameras") == [both.title]


def test_search_is_case_and_accent_insensitive(reader):
    spanish = ArticleFactory(language="es", body="Texto sintético sobre la deportación de familias.")
    ArticleFactory(language="es", body="Texto sintético sobre vivienda.")
    for query in ("deportación", "DEPORTACION", "Deportacion"):
        assert found(reader, query) == [spanish.title], query


def test_quoted_phrases_exclusions_and_or(reader):
    phrase = ArticleFactory(title="Synthetic one", body="Cameras with facial recognition software.")
    apart = ArticleFactory(title="Synthetic two", body="Facial expressions and voice recognition.")
    other = ArticleFactory(title="Synthetic three", body="License plate readers.")
    assert found(reader, '"facial recognition"') == [phrase.title]
    assert found(reader, "recognition -cameras") == [apart.title]
    assert set(found(reader, "-recognition")) == {other.title}
    assert set(found(reader, '"facial recognition" OR "plate readers"')) == {phrase.title, other.title}


def test_a_search_sorts_by_best_match_by_default_and_offers_the_other_orders(reader):
    ArticleFactory(title="Synthetic mention", body="The word surveillance appears once here.", summary="")
    in_title = ArticleFactory(title="Surveillance in the synthetic title", body="Other words.", summary="")
    response = reader.get(ARCHIVE, {"q": "surveillance"})
    assert response.context["articles"][0].title == in_title.title
    labels = [(label, current) for label, _url, current in response.context["sort_links"]]
    assert labels[0] == ("Best match", True)
    assert [label for label, _ in labels] == ["Best match", "Newest first", "Oldest first", "Title (A–Z)"]
    without_query = reader.get(ARCHIVE).context["sort_links"]
    assert "Best match" not in [label for label, _url, _current in without_query]


def test_a_search_with_a_date_sort_is_sorted_by_date(reader):
    old = ArticleFactory(body="synthetic surveillance", publication_date=datetime.date(2012, 1, 1))
    new = ArticleFactory(body="synthetic surveillance", publication_date=datetime.date(2022, 1, 1))
    assert found(reader, "surveillance", sort="oldest") == [old.title, new.title]


@pytest.mark.parametrize("query", ["!!!", "  ...  ", "—", "%", "OR", '"" OR ""', "- OR -"])
def test_a_query_without_words_is_left_out_with_a_note(reader, query):
    article = ArticleFactory()
    response = reader.get(ARCHIVE, {"q": query})
    assert response.status_code == 200
    assert "Your search had no words to look for, so it was left out." in response.text
    assert [a.title for a in response.context["articles"]] == [article.title]
    assert response.context["chips"] == []  # no "Search: “OR”"
    assert response.context["filter"].sort_order == "newest"  # nothing to rank by


def test_the_search_index_follows_every_change_in_the_same_transaction(reader):
    organization = OrganizationFactory(name="Synthetic Alpha Coalition")
    source = SourceFactory(name="Synthetic Beta Radio")
    article = ArticleFactory(source=source, organizations=[organization], body="Plain words.", summary="")

    assert found(reader, "alpha") == [article.title]
    organization.name = "Synthetic Gamma Coalition"
    organization.save()
    assert found(reader, "alpha") == [] and found(reader, "gamma") == [article.title]

    source.name = "Synthetic Delta Radio"
    source.save()
    assert found(reader, "beta") == [] and found(reader, "delta") == [article.title]

    article.organizations.remove(organization)
    assert found(reader, "gamma") == []
    article.organizations.add(OrganizationFactory(name="Synthetic Epsilon Group"))
    assert found(reader, "epsilon") == [article.title]

    article.body = "Words about zeta."
    article.save()
    assert found(reader, "zeta") == [article.title]

    Article.objects.filter(pk=article.pk).update(title="Synthetic eta title")  # even a bulk update
    assert found(reader, "eta") == ["Synthetic eta title"]


def test_imported_articles_and_a_changed_language_are_searchable_at_once(reader, tmp_path):
    from django.core.management import call_command

    from tests.csv_files import csv_bytes, synthetic_row

    path = tmp_path / "clippings.csv"
    path.write_bytes(csv_bytes([synthetic_row(1, body="Synthetic words about quokkas.", organizations="Wombat Aid")]))
    call_command("import_coverage", str(path), "--create-terms", verbosity=0)
    assert found(reader, "quokkas") == found(reader, "wombat") == ["Synthetic article 1"]


def test_postgresql_stems_in_the_articles_language_and_sqlite_in_both_languages_for_every_article(reader):
    # PostgreSQL stems each article's words in its language (and accent-blind in
    # English's way): a change of language restems them. SQLite stems every
    # article in English and Spanish, so its language changes nothing there.
    article = ArticleFactory(language="en", summary="", body="Texto sintético: las deportaciones continúan.")
    before = found(reader, "deportar")  # only the Spanish stem "deport" is shared
    article.language = "es"
    article.save()
    assert found(reader, "deportar") == [article.title]
    assert before == ([] if connection.vendor == "postgresql" else [article.title])


def test_the_search_triggers_exist_after_all_migrations():
    names = {
        "postgresql": [
            "article_search_document_inserted",
            "article_search_document_updated",
            "articleorganization_inserted",
            "articleorganization_deleted",
            "articleorganization_updated",
            "source_renamed",
            "organization_renamed",
        ],
        "sqlite": list(sqlite_triggers()),
    }[connection.vendor]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        present = {row[0] for row in cursor.fetchall()}
    assert set(names) <= present


def test_stemming_finds_other_forms_of_a_word_in_english_and_spanish(reader):
    english = ArticleFactory(language="en", body="Synthetic text: tenants were organizing all week.", summary="")
    singular = ArticleFactory(language="es", body="Texto sintético: una deportación más.", summary="")
    plural = ArticleFactory(language="es", body="Texto sintético: las deportaciones continúan.", summary="")
    assert found(reader, "organizers") == [english.title]
    # With or without accents, singular and plural find each other (Spanish stems, and
    # the accent-blind stems for "deportacion", which Spanish stemming leaves whole).
    for query in ("deportacion", "deportación", "deportaciones", "DEPORTACIONES", "deportaciónes"):
        assert set(found(reader, query)) == {singular.title, plural.title}, query


def test_source_and_organization_names_are_stemmed_and_accent_blind(reader):
    union = ArticleFactory(organizations=[OrganizationFactory(name="Synthetic Tenants Union")], body="", summary="")
    radio = ArticleFactory(source=SourceFactory(name="Radio Niños Sintética"), body="", summary="")
    assert found(reader, "tenant") == [union.title]
    assert found(reader, "nino") == [radio.title]
    assert found(reader, "niño") == [radio.title]


@postgresql_only
def test_the_search_index_is_installed():
    with connection.cursor() as cursor:
        cursor.execute("SELECT extname FROM pg_extension WHERE extname = 'unaccent'")
        assert cursor.fetchone() == ("unaccent",)
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'coverage_archive_articlesearchdocument' "
            "AND indexname = 'article_search_document_gin'"
        )
        assert "USING gin (vector)" in cursor.fetchone()[0]
        cursor.execute("SELECT to_tsvector('kyr_folded', 'Deportaciones deportación Tenants')::text")
        assert cursor.fetchone() == ("'deportacion':1,2 'tenant':3",)
        # Kept for app processes still running the code before migration 0012.
        cursor.execute("SELECT to_tsvector('kyr_unaccent', 'Deportación')::text")
        assert cursor.fetchone() == ("'deportacion':1",)


def test_a_title_match_outranks_a_body_mention(reader):
    body = ArticleFactory(title="Synthetic piece", summary="", body="Many words. " * 20 + "Detention mentioned once.")
    title = ArticleFactory(title="Detention in a synthetic title", summary="", body="Other words.")
    summary = ArticleFactory(title="Synthetic other", summary="About detention.", body="Other words.")
    assert found(reader, "detention") == [title.title, summary.title, body.title]


@postgresql_only
def test_a_search_runs_with_sequential_scans_discouraged_and_only_that_search(reader):
    """The planner would read every stored vector for a common word (bench/README.md)."""

    def settings():
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('enable_seqscan'), current_setting('work_mem')")
            return cursor.fetchone()

    before = settings()
    with index_scans(True):
        assert settings() == ("off", "32MB")
    assert settings() == before and before[0] == "on"  # the enclosing transaction has its settings back
    with index_scans(False):
        assert settings() == before

    ArticleFactory(body="Synthetic text about surveillance.")
    with CaptureQueriesContext(connection) as captured:
        assert len(found(reader, "surveillance")) == 1
    statements = [query["sql"] for query in captured.captured_queries]
    hints = next(i for i, sql in enumerate(statements) if "set_config('enable_seqscan'" in sql)
    facets = next(i for i, sql in enumerate(statements) if sql.startswith("WITH c AS"))
    assert hints < facets and settings() == before


def test_ranking_reads_title_summary_and_names_then_dates_for_body_only_matches(reader):
    older = ArticleFactory(summary="", body="Synthetic body on detention.", publication_date=datetime.date(2015, 1, 1))
    newer = ArticleFactory(summary="", body="Synthetic body on detention.", publication_date=datetime.date(2020, 1, 1))
    named = ArticleFactory(
        summary="", body="Synthetic body.", organizations=[OrganizationFactory(name="Synthetic Detention Watch")]
    )
    assert found(reader, "detention") == [named.title, newer.title, older.title]


def test_results_carry_a_highlighted_snippet_with_the_text_escaped(reader):
    ArticleFactory(summary="", body='Synthetic <script>alert("x")</script> text about surveillance cameras.')
    response = reader.get(ARCHIVE, {"q": "surveillance"})
    html = response.text
    assert "<mark>surveillance</mark>" in html
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_a_snippet_shows_a_match_found_without_its_accent_or_through_the_other_stems(reader):
    ArticleFactory(language="es", summary="", body="Texto sintético: las deportaciones continúan en la ciudad.")
    ArticleFactory(language="es", title="Deportaciones: sintético", summary="", body="Nada más.")
    for q in ("deportacion", "deportaciones", "DEPORTACIÓN"):
        assert [str(article.snippet) for article in reader.get(ARCHIVE, {"q": q}).context["articles"]] == [
            "None",  # matched in its title only: nothing to show below it
            "Texto sintético: las <mark>deportaciones</mark> continúan en la ciudad",
        ], q


@postgresql_only
def test_postgresql_asks_ts_headline_again_only_for_matches_its_language_stems_do_not_show(reader):
    ArticleFactory(language="es", summary="", body="Texto sintético: las deportaciones continúan en la ciudad.")
    ArticleFactory(language="es", title="Deportaciones: sintético", summary="", body="Nada más.")

    def headline_queries(q):
        with CaptureQueriesContext(connection) as captured:
            response = reader.get(ARCHIVE, {"q": q})
        return response, sum("ts_headline" in query["sql"] for query in captured.captured_queries)

    _response, queries = headline_queries("deportacion")
    assert queries == 2  # the second in the accent-blind forms, for the one whose text matched
    assert headline_queries("deportaciones")[1] == 1  # the Spanish stems show every match


def test_a_match_in_the_title_alone_gets_no_snippet_of_stray_words(reader):
    ArticleFactory(title="Synthetic: facial recognition", summary="", body="Voice recognition, then faces.")
    [article] = reader.get(ARCHIVE, {"q": '"facial recognition"'}).context["articles"]
    assert article.snippet is None  # not "Voice <mark>recognition</mark>, then faces"


def test_the_snippets_own_marks_in_an_article_are_dropped_not_taken_for_marks(reader):
    ArticleFactory(summary="", body="Synthetic \ue000odd\ue001 text \ue002about\ue003 surveillance.")
    [article] = reader.get(ARCHIVE, {"q": "surveillance"}).context["articles"]
    assert str(article.snippet).count("<mark>") == 1
    assert "odd text about <mark>surveillance</mark>" in str(article.snippet)


def test_done_when_the_seed_archive_finds_the_wnyc_piece_for_facial_recognition(reader, seed):
    response = reader.get(ARCHIVE, {"q": '"facial recognition"'})
    [article] = response.context["articles"]
    assert article.title == "Immigrant Groups Have a Special Reason to Oppose Amazon’s Move"
    assert "<mark>facial</mark> <mark>recognition</mark>" in str(article.snippet)
    assert "<mark>facial</mark> <mark>recognition</mark>" in response.text


def test_done_when_the_seed_archive_finds_organizing_and_the_organizer_for_organizers(reader, seed):
    response = reader.get(ARCHIVE, {"q": "organizers"})
    [article] = response.context["articles"]
    assert article.title == "Immigrant Groups Have a Special Reason to Oppose Amazon’s Move"
    assert "<mark>Organizer</mark>" in str(article.snippet)


def test_snippets_mark_each_word_of_a_phrase_and_of_every_alternative(reader):
    ArticleFactory(summary="", body="Synthetic cameras with facial recognition near the plate readers.")
    [article] = reader.get(ARCHIVE, {"q": '"facial recognition" OR "plate readers"'}).context["articles"]
    assert str(article.snippet) == (
        "Synthetic cameras with <mark>facial</mark> <mark>recognition</mark> near the "
        "<mark>plate</mark> <mark>readers</mark>"
    )


# --- SQLite's index ---------------------------------------------------------------


@sqlite_only
def test_sqlite_indexes_each_fields_english_and_spanish_stems_unaccented():
    article = ArticleFactory(
        title="Synthetic Deportaciones", body="", summary="", organizations=[OrganizationFactory(name="Niños Unidos")]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT title_en, title_es, names_en, names_es FROM coverage_archive_articlesearchindex WHERE rowid = %s",
            [article.pk],
        )
        title_en, title_es, names_en, names_es = cursor.fetchone()
    assert (title_en, title_es) == ("synthet deportacion", "synthetic deport")
    assert names_en.endswith("nino unido") and names_es.endswith("nin unid")


def test_a_search_matches_whole_words_not_parts_of_words(reader):
    ice = ArticleFactory(title="Synthetic one", body="Protest against ICE, raids followed.")
    ArticleFactory(title="Synthetic two", body="Police and justice reform, price indices.")
    hyphenated = ArticleFactory(title="Synthetic three", body="Employers must use E-Verify, said the notice.")
    assert found(reader, "ice") == [ice.title]
    assert found(reader, "ICE -raids") == []
    assert set(found(reader, "-ice")) == {"Synthetic two", hyphenated.title}
    assert found(reader, "e-verify") == [hyphenated.title]
    assert found(reader, '"ice raids"') == [ice.title]  # punctuation between a phrase's words


def test_a_search_with_nothing_to_look_for_keeps_every_article_and_can_be_ranked():
    from coverage_archive.search import search

    article = ArticleFactory()
    for query in ("!!!", "_", "\u0301", ""):
        assert list(search(Article.objects.all(), query).order_by("-rank")) == [article], query


def test_fold_and_the_web_query_parser():
    assert fold("Ñandú DEPORTACIÓN straße") == "nandu deportacion strasse"
    [first, second] = parse_web_query('"Facial Recognition" -amazon OR cámaras')
    assert first.required == ["facial recognition"] and first.excluded == ["amazon"]
    assert second.required == ["camaras"]
    [only_excluded] = parse_web_query("!!! -x")
    assert only_excluded.required == [] and only_excluded.excluded == ["x"]
    assert parse_web_query("!!! ...") == []


@postgresql_only
@pytest.mark.parametrize(
    ("query", "costly"),
    [
        ("ICE", False),
        ("immigrant detention families", False),  # several words, each answered by the index
        ("ICE OR -cameras", False),
        ('"facial recognition"', True),  # words that must stand together
        ('ICE -"facial recognition"', True),
        ("know-your-rights", True),  # one hyphenated word is parsed as a phrase
    ],
)
def test_phrases_are_the_searches_costly_to_match_again(query, costly):
    assert matching_is_costly(query) is costly


@sqlite_only
def test_sqlite_matches_phrases_from_its_index_so_no_search_is_costly_to_match_again():
    assert not matching_is_costly('ICE -"facial recognition"')


@sqlite_only
def test_sqlite_reads_the_matches_first_and_each_matchs_columns_by_its_id(reader):
    # Joined the other way, SQLite ran the MATCH again for every published article
    # (3.4 s for a common word at 10,000 articles, against 20 ms): see search_sqlite.sql.
    ArticleFactory(body="Synthetic surveillance.")
    with CaptureQueriesContext(connection) as captured:
        assert len(found(reader, "surveillance")) == 1
    statements = [query["sql"] for query in captured.captured_queries if " MATCH " in query["sql"]]
    assert len(statements) == 2  # the facet counts, then the page's order of ids
    for sql in statements:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            steps = [row[-1] for row in cursor.fetchall()]
        scan = next(i for i, step in enumerate(steps) if "coverage_archive_articlesearchindex VIRTUAL TABLE" in step)
        assert steps[scan].startswith("SCAN ") and "=M" not in steps[scan], steps  # not looked up by id
        # The facet counts, and the page's order (search.ranks_ids_first: the page's 20 rows are
        # then read by id, in a query of their own), read each match's columns from the index by id.
        assert steps[scan + 1].startswith(
            "SEARCH coverage_archive_article USING COVERING INDEX article_matches_facets_idx (id=?"
        ), steps


@sqlite_only
def test_sqlite_writes_the_planner_statistics_of_an_index_added_after_measured_ones(db):
    # Without its row, SQLite reads a search's matches from the table (past each
    # article's text) instead of article_matches_facets_idx: 36 against 9 ms for
    # 30,000 matches. Measured rows of the other indexes are kept, and scale it.
    with connection.cursor() as cursor:
        cursor.execute("SELECT tbl, idx, stat FROM sqlite_stat1")
        kept = cursor.fetchall()
        try:
            cursor.execute("DELETE FROM sqlite_stat1 WHERE tbl = 'coverage_archive_article'")
            cursor.execute(
                "INSERT INTO sqlite_stat1 (tbl, idx, stat) "
                "VALUES ('coverage_archive_article', 'article_pubdate_idx', '5000 3')"
            )
            write_sqlite_planner_statistics(connection)
            cursor.execute("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = 'coverage_archive_article'")
            stats = dict(cursor.fetchall())
        finally:  # the connection's planner keeps what it loaded: load the others' figures again
            cursor.execute("DELETE FROM sqlite_stat1")
            cursor.executemany("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (%s, %s, %s)", kept)
            cursor.execute("ANALYZE sqlite_schema")
    assert stats["article_pubdate_idx"] == "5000 3"
    assert stats["article_matches_facets_idx"] == "5000 1 1 1 1 1 1 1 1"
    assert stats["article_language_idx"] == "5000 50"
