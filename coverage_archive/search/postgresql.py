"""PostgreSQL's search: stored tsvectors, a GIN index, ts_rank and ts_headline.

Each article's stored search vector (ArticleSearchDocument; its SQL in
coverage_archive/sql/search_postgresql.sql) is matched against the query
parsed three ways: English stems, Spanish stems and accent-blind stems,
because a reader's query has no declared language: "organizers" finds
"organizing", "deportaciones" finds "deportación", and "deportacion" typed
without its accent still finds both. Results are ranked by their title,
summary and source and organization names (title over the others); pieces
that mention the words only in the body follow, newest first. Each result
gets a highlighted snippet (ts_headline).
"""

from contextlib import contextmanager

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVectorExact,
    SearchVectorField,
)
from django.db import OperationalError, connection, transaction
from django.db.models import F, Func, QuerySet, Value
from django.utils.safestring import SafeString

from coverage_archive.search import (
    GREATER_THAN,
    LESS_THAN,
    MARK_END,
    MARK_START,
    SEVERAL_WORDS,
    SNIPPET_DELIMITER,
    SNIPPET_FRAGMENTS,
    SNIPPET_MARKS,
    SNIPPET_MAX_WORDS,
    SNIPPET_MIN_WORDS,
    Snippets,
    highlight,
    parse_web_query,
)

# ts_headline wraps matches in the snippet's marks (coverage_archive.search).
HEADLINE_OPTIONS = {
    "start_sel": MARK_START,
    "stop_sel": MARK_END,
    "max_fragments": SNIPPET_FRAGMENTS,
    "max_words": SNIPPET_MAX_WORDS,
    "min_words": SNIPPET_MIN_WORDS,
    "fragment_delimiter": SNIPPET_DELIMITER,
}
# Every word is indexed stemmed in its article's language and in an accent-blind,
# lightly stemmed form (kyr_folded; see migrations 0002 and 0012).
FOLDED_CONFIG = "kyr_folded"
# A query has no declared language: it is parsed by each of these, and an
# article matches if any parse does.
SEARCH_CONFIGS = ("english", "spanish", FOLDED_CONFIG)
# Memory for one search's sorts and hash joins (see index_scans).
SEARCH_WORK_MEM = "32MB"


def _term_query(term: str, *, excluded: bool = False) -> SearchQuery:
    """A word or phrase in any of its indexed forms; or, excluded, in none of them."""
    forms = [SearchQuery(term, config=config, search_type="phrase", invert=excluded) for config in SEARCH_CONFIGS]
    query = forms[0]
    for form in forms[1:]:
        # Excluded: absent in every form (not (a or b) = not a and not b).
        query = query & form if excluded else query | form
    return query


def full_text_query(text: str) -> SearchQuery | None:
    """The web-search query as a tsquery, each term matching any of its forms.

    Built term by term rather than by OR-ing whole websearch_to_tsquery()
    parses, so that "-cameras" excludes "cameras" in every form: otherwise the
    Spanish parse's "camer" would be absent from an English article that says
    "cameras", and the exclusion would let it through.
    """
    query = None
    for clause in parse_web_query(text, normalize=str.strip):
        conditions = [_term_query(term) for term in clause.required]
        conditions += [_term_query(term, excluded=True) for term in clause.excluded]
        matches = conditions[0]
        for condition in conditions[1:]:
            matches = matches & condition
        query = matches if query is None else query | matches
    return query


def ranks_ids_first() -> bool:
    """No: ranking reads each match's vector from its row anyway, and the page's
    20 rows come with the ranking in one query."""
    return False


@contextmanager
def index_scans(searching: bool):
    """Run a search's queries with PostgreSQL's sequential scans discouraged.

    For a word in a fifth or more of the archive, PostgreSQL's planner judges
    reading the whole search-document table cheaper than its GIN index, not
    counting that every vector read that way must first be fetched from TOAST
    and decompressed: about 800 ms at 100,000 articles, against 40 ms for the
    index. Within these queries' own transaction (SET LOCAL), a sequential scan
    is chosen only where there is no other way, and sorts and hashes get more
    memory than PostgreSQL's cautious default (4 MB), which would spill a common
    word's 30,000 matches to disk. Elsewhere, nothing changes.
    """
    if not searching:
        yield
        return
    nested = connection.in_atomic_block
    # Its own transaction, or the one already open (no savepoint needed: nothing here writes).
    with transaction.atomic(savepoint=False):
        with connection.cursor() as cursor:
            # set_config(..., true) is SET LOCAL; work_mem lets the facet counts' hash
            # joins and the ranking sort of a common word's matches stay in memory.
            cursor.execute(
                "SELECT set_config('enable_seqscan', 'off', true), set_config('work_mem', %s, true)",
                [SEARCH_WORK_MEM],
            )
        yield
        if nested:  # the enclosing transaction goes on: give it back its setting
            with connection.cursor() as cursor:
                cursor.execute("RESET enable_seqscan; RESET work_mem")


def matching_is_costly(text: str) -> bool:
    """Whether matching this query again costs more than reading its results by id.

    The index answers single words alone, but words that must stand together
    (a phrase, or a hyphenated word, which is parsed as one) are checked against
    the stored text of every article holding them all: tens of thousands for
    common words.
    """
    terms = [
        term for clause in parse_web_query(text, normalize=str.strip) for term in clause.required + clause.excluded
    ]
    return any(SEVERAL_WORDS.search(term) for term in terms)


def search_config_of(language_field: str = "language") -> Func:
    return Func(F(language_field), function="kyr_search_config")


def search(queryset: QuerySet, text: str) -> QuerySet:
    """Articles matching the query, annotated with a `rank` for sort=relevance."""
    query = full_text_query(text)
    if query is None:  # nothing to look for
        return queryset.annotate(rank=Value(0.0))
    # Matched against every word; ranked by the title, summary and names only
    # (bounded ranking: a body-only match ranks 0 and sorts by date), which keeps
    # ranking a common word's thousands of matches cheap.
    return queryset.filter(search_document__vector=query).annotate(
        rank=SearchRank(F("search_document__ranking_vector"), query, normalization=Value(1))
    )


def snippets_within(articles, text: str, milliseconds: int) -> Snippets:
    """The page's snippets if PostgreSQL finds them within `milliseconds`, else none.

    ts_headline's work grows steeply with a query's phrases and alternatives
    (a 200-character query of ORed common phrases: minutes for 20 articles), so
    its queries run under their own statement timeout; a page over it shows its
    results without snippets, and says so.
    """
    from coverage_archive.budget import exceeded, statement_time_limit

    try:
        with statement_time_limit(milliseconds):
            return Snippets(snippets(articles, text))
    except OperationalError as error:
        if not exceeded(error):
            raise
        return Snippets(left_out=True)


def snippets(articles, text: str) -> dict[int, SafeString]:
    """A highlighted snippet for each article showing why it matched.

    One query for the page's articles, and one more for those that show no match in
    their own language's forms; the text is escaped before the marks are added.
    """
    if not articles:
        return {}
    from coverage_archive.models import Article

    query = full_text_query(text)
    if query is None:
        return {}
    # Private-use characters are the snippet's own marks: removed from the text, and
    # < and > put in their stand-ins, in one pass.
    document = Func(
        Func(F("summary"), Value("\n"), F("body"), function="concat"),
        Value("<>" + SNIPPET_MARKS),
        Value(LESS_THAN + GREATER_THAN),
        function="translate",
    )

    def headlines(pks, config, **also):
        rows = Article.objects.filter(pk__in=pks).annotate(
            snippet=SearchHeadline(document, query, config=config, **HEADLINE_OPTIONS), **also
        )
        return {row["pk"]: row for row in rows.values("pk", "snippet", *also)}

    # Only for results whose summary or text matches (the stored vector's B and C
    # weights): a match in the title alone shows in the title, and a snippet would
    # highlight words that are not the match (one word of a phrase found elsewhere).
    # Matched through the article's own language's stems or, where that shows no
    # match ("deportacion" in "deportaciones"), through the accent-blind stems, in
    # a second query for those only.
    rows = headlines(
        [article.pk for article in articles],
        search_config_of(),
        text_matches=SearchVectorExact(
            Func(F("search_document__vector"), Value("{b,c}"), function="ts_filter", output_field=SearchVectorField()),
            query,
        ),
    )
    matched = {pk: row["snippet"] for pk, row in rows.items() if row["text_matches"]}
    marked = {pk: snippet for pk, snippet in matched.items() if MARK_START in snippet}
    if missing := [pk for pk in matched if pk not in marked]:
        marked |= {pk: row["snippet"] for pk, row in headlines(missing, FOLDED_CONFIG).items()}
    return {pk: highlight(snippet) for pk, snippet in marked.items() if MARK_START in snippet}
