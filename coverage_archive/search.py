"""Search: ranked full-text search on PostgreSQL, a simpler search on SQLite.

Readers type what they would type into a web search engine: words (all must
match), "a quoted phrase", -word to exclude, OR between alternatives.

PostgreSQL matches each article's stored search vector (ArticleSearchDocument;
see migrations 0002, 0011 and 0012) against the query parsed three ways —
English stems, Spanish stems and accent-blind stems — because a reader's query
has no declared language: "organizers" finds "organizing", "deportaciones"
finds "deportación", and "deportacion" typed without its accent still finds
both. Results are ranked by their title, summary and source and organization
names (title over the others); pieces that mention the words only in the body
follow, newest first. Each result gets a highlighted snippet.

SQLite keeps a casefolded, unaccented copy of the text (search_text) and
requires every word or phrase to appear in it as whole words; no stemming,
ranked by title matches first. Nothing errors out on either database.
"""

import re
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVectorExact,
    SearchVectorField,
)
from django.db import OperationalError, connection, transaction
from django.db.models import Case, F, Func, IntegerField, Q, QuerySet, Value, When
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# ts_headline wraps matches in these; they are private-use characters that no
# article contains, so the snippet can be escaped first and marked up after.
_MARK_START, _MARK_END = "\ue000", "\ue001"
HEADLINE_OPTIONS = {
    "start_sel": _MARK_START,
    "stop_sel": _MARK_END,
    "max_fragments": 2,
    "max_words": 28,
    "min_words": 12,
    "fragment_delimiter": " … ",
}
# Every word is indexed stemmed in its article's language and in an accent-blind,
# lightly stemmed form (kyr_folded; see migrations 0002 and 0012).
FOLDED_CONFIG = "kyr_folded"
# A query has no declared language: it is parsed by each of these, and an
# article matches if any parse does.
SEARCH_CONFIGS = ("english", "spanish", FOLDED_CONFIG)
# Memory for one search's sorts and hash joins (see index_scans).
SEARCH_WORK_MEM = "32MB"
# ts_headline drops anything that looks like an HTML tag; these stand in for
# < and > while it works, so the snippet shows the text exactly as written.
_LESS_THAN, _GREATER_THAN = "\ue002", "\ue003"


def fold(text: str | None) -> str:
    """Casefold and strip accents: “Deportación” → “deportacion”."""
    if not text:
        return ""
    if text.isascii():  # nothing to unaccent: the same, without a loop over every character
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


_WORD = re.compile(r"\w+")


def words_of(text: str | None) -> str:
    """The text as SQLite's search reads it: folded, its words parted by single
    spaces, with one before and after, so that LIKE '% ice %' finds the word
    "ICE," and not "police": “Deportación, ICE.” → “ deportacion ice ”."""
    return " " + " ".join(_WORD.findall(fold(text))) + " "


def register_sqlite_functions(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        # kyr_fold() is what the search triggers of migration 0002 call (0013 refreshed
        # the stored text when it came to part the words).
        connection.connection.create_function("kyr_fold", 1, words_of, deterministic=True)


def uses_full_text_search() -> bool:
    return connection.vendor == "postgresql"


def has_words(text: str) -> bool:
    """Whether a text has a letter or a number (not only spaces and punctuation)."""
    return any(char.isalnum() for char in text)


def has_terms(text: str) -> bool:
    """Whether a query has anything to look for: a word, not only punctuation or OR."""
    return bool(parse_web_query(text))


# --- PostgreSQL ---------------------------------------------------------------


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
    if not (searching and uses_full_text_search()):
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


_SEVERAL_WORDS = re.compile(r"\w\W+\w")


def matching_is_costly(text: str) -> bool:
    """Whether matching this query again costs more than reading its results by id.

    On SQLite every search reads every row. On PostgreSQL the index answers
    single words alone, but words that must stand together (a phrase, or a
    hyphenated word, which is parsed as one) are checked against the stored
    text of every article holding them all: tens of thousands for common words.
    """
    if not uses_full_text_search():
        return True
    terms = [
        term for clause in parse_web_query(text, normalize=str.strip) for term in clause.required + clause.excluded
    ]
    return any(_SEVERAL_WORDS.search(term) for term in terms)


def search_config_of(language_field: str = "language") -> Func:
    return Func(F(language_field), function="kyr_search_config")


# --- SQLite -----------------------------------------------------------------------


@dataclass
class _Clause:
    required: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)


_TOKEN = re.compile(r'(-?)"([^"]*)"|(-?)(\S+)')


def parse_web_query(text: str, normalize=None) -> list[_Clause]:
    """Web-search syntax as alternatives (OR) of required and excluded terms.

    Terms are folded (casefolded, unaccented) unless another `normalize` is given.
    """
    normalize = normalize or (lambda term: fold(term).strip())
    clauses = [_Clause()]
    for match in _TOKEN.finditer(text):
        negated = bool(match[1] or match[3])
        term = match[2] if match[2] is not None else match[4]
        if match[4] == "OR":
            clauses.append(_Clause())
            continue
        term = normalize(term)
        if not has_words(term):
            continue
        (clauses[-1].excluded if negated else clauses[-1].required).append(term)
    return [clause for clause in clauses if clause.required or clause.excluded]


# A search's cost grows with its phrases (words that must stand together, quoted
# or joined by punctuation) and its alternatives (OR), steeply so for PostgreSQL's
# snippets: a query is cut before the first phrase or alternative over these.
MAX_PHRASES = 8
MAX_ALTERNATIVES = 8


def within_limits(text: str) -> tuple[str, bool]:
    """The query as typed, cut before its phrase MAX_PHRASES + 1 or its alternative
    MAX_ALTERNATIVES + 1, and whether it was cut."""
    phrases, alternatives, new_alternative, last_or = 0, 0, True, 0
    for match in _TOKEN.finditer(text):
        if match[4] == "OR":
            new_alternative, last_or = True, match.start()
            continue
        term = match[2] if match[2] is not None else match[4]
        if not has_words(term):
            continue  # left out by parse_web_query too
        if new_alternative:
            alternatives += 1
            if alternatives > MAX_ALTERNATIVES:
                return text[:last_or].rstrip(), True
            new_alternative = False
        if _SEVERAL_WORDS.search(term.strip()):
            phrases += 1
            if phrases > MAX_PHRASES:
                return text[: match.start()].rstrip(), True
    return text, False


def _simple_search(queryset: QuerySet, text: str) -> QuerySet:
    clauses = parse_web_query(text)
    if not clauses:
        return queryset
    condition = Q(pk__in=[])
    for clause in clauses:
        matches = Q()
        for term in clause.required:
            matches &= _contains_words("search_text", term)
        for term in clause.excluded:
            matches &= ~_contains_words("search_text", term)
        condition |= matches
    return queryset.filter(condition)


def _contains_words(field_name: str, term: str) -> Q:
    """The text (as words_of() gives it) holds the term as whole words: "ice" is
    not in "police", and a phrase's words may be parted by any spaces or
    punctuation, as PostgreSQL's phrase search allows.

    Two LIKEs, done by SQLite: '%ice%' first, since a pattern that starts with a
    space is tried at every space of every text (59 against 24 ms for a rare
    word in 10,000 articles), then '% ice %' on the texts that passed.
    """
    words = words_of(term)
    return Q(**{f"{field_name}__contains": words.strip()}) & Q(**{f"{field_name}__contains": words})


def _title_matches(text: str):
    """1 when every required word of some alternative is in the title: SQLite's ranking."""
    whens = []
    for clause in parse_web_query(text):
        if not clause.required:
            continue
        title_has_all = Q()
        for term in clause.required:  # titles are short: '% word %' alone
            title_has_all &= Q(folded_title__contains=words_of(term))
        whens.append(When(title_has_all, then=Value(1)))
    return Case(*whens, default=Value(0), output_field=IntegerField())


# --- Both -------------------------------------------------------------------------


def search(queryset: QuerySet, text: str) -> QuerySet:
    """Articles matching the query, annotated with a `rank` for sort=relevance."""
    if uses_full_text_search():
        query = full_text_query(text)
        if query is None:  # nothing to look for
            return queryset.annotate(rank=Value(0.0))
        # Matched against every word; ranked by the title, summary and names only
        # (bounded ranking: a body-only match ranks 0 and sorts by date), which keeps
        # ranking a common word's thousands of matches cheap.
        return queryset.filter(search_document__vector=query).annotate(
            rank=SearchRank(F("search_document__ranking_vector"), query, normalization=Value(1))
        )
    return (
        _simple_search(queryset, text)
        .annotate(folded_title=Func(F("title"), function="kyr_fold"))
        .annotate(rank=_title_matches(text))
    )


@dataclass
class Snippets:
    """A page's snippets by article id; `left_out` when finding them took too long."""

    found: dict[int, SafeString] = field(default_factory=dict)
    left_out: bool = False


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
    """A highlighted snippet for each article showing why it matched (PostgreSQL only).

    One query for the page's articles, and one more for those that show no match in
    their own language's forms; the text is escaped before the marks are added.
    """
    if not uses_full_text_search() or not articles:
        return {}
    from coverage_archive.models import Article

    query = full_text_query(text)
    if query is None:
        return {}
    # Private-use characters are the snippet's own marks: removed from the text, and
    # < and > put in their stand-ins, in one pass.
    document = Func(
        Func(F("summary"), Value("\n"), F("body"), function="concat"),
        Value("<>" + _MARK_START + _MARK_END + _LESS_THAN + _GREATER_THAN),
        Value(_LESS_THAN + _GREATER_THAN),
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
    marked = {pk: snippet for pk, snippet in matched.items() if _MARK_START in snippet}
    if missing := [pk for pk in matched if pk not in marked]:
        marked |= {pk: row["snippet"] for pk, row in headlines(missing, FOLDED_CONFIG).items()}
    return {pk: highlight(snippet) for pk, snippet in marked.items() if _MARK_START in snippet}


def highlight(headline: str) -> SafeString:
    """Escape a ts_headline result, then turn its match markers into <mark> elements."""
    escaped = escape(headline.replace("\n", " "))
    for marker, markup in (
        (_MARK_START, "<mark>"),
        (_MARK_END, "</mark>"),
        (_LESS_THAN, "&lt;"),
        (_GREATER_THAN, "&gt;"),
    ):
        escaped = escaped.replace(marker, markup)
    return mark_safe(escaped)  # escaped above; only our own markup added
