"""Public pages. Thin function views; the rules live in querysets and the FilterSet."""

import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.http import require_safe

from coverage_archive import budget, exports, metadata, resilience, search
from coverage_archive.api import errors
from coverage_archive.facets import Reuse, active_filter_chips, compute_facets, coverage_chart
from coverage_archive.filters import (
    MAX_QUERY_LENGTH,
    ArchiveAddress,
    ArticleFilterSet,
    SortOrder,
    filters_error_response,
)
from coverage_archive.models import Article
from coverage_archive.preservation import reading
from coverage_archive.publishing import article_for_reader, mark_as_preview
from coverage_archive.taxonomies import BY_KEY, SUBJECTS, TAXONOMIES, Taxonomy

RELATED_COVERAGE_LIMIT = 5
HOME_TERMS_LIMIT = 8


@require_safe
def home(request):
    latest = Article.objects.published().for_listing().newest_first()[: settings.ARCHIVE_PAGE_SIZE // 2]
    taxonomies = [(taxonomy, taxonomy.with_counts()[:HOME_TERMS_LIMIT]) for taxonomy in TAXONOMIES]
    return render(
        request,
        "coverage_archive/home.html",
        {"latest": latest, "taxonomies": taxonomies, "total": Article.objects.published().count()},
    )


def _render_archive(request, template, context, fixed_filters=None):
    """The archive page, optionally pre-filtered on one term (the term pages)."""
    filterset = ArticleFilterSet.from_request(request, Article.objects.published().for_listing(), fixed_filters)
    q = filterset.data.get("q", "")
    context.update(
        {
            "filter": filterset,
            "form": filterset.form,
            "query_was_cut": filterset.query_was_cut,
            "query_terms_were_cut": filterset.query_terms_were_cut,
            "phrase_limit": search.MAX_PHRASES,
            "alternative_limit": search.MAX_ALTERNATIVES,
            "query_limit": MAX_QUERY_LENGTH,
            "query_has_no_words": bool(q.strip()) and not search.has_terms(q),
        }
    )
    if not filterset.is_valid():
        # Invalid filters are never dropped silently: show the errors, each with a
        # link to the same page without the filter that could not be used.
        asked = ArchiveAddress.of_request(request, request.path).dropping("page")
        context["filter_errors"] = [
            (filterset.form[name].label, errors, asked.dropping(name).url())
            for name, errors in filterset.form.errors.items()
        ]
        return render(request, template, context, status=400)

    address = ArchiveAddress.of_filters(filterset)
    reuse = Reuse(address)
    with search.index_scans(bool(filterset.search_text)):
        facets = compute_facets(filterset, reuse, expand=request.GET.get("more", ""))
        paginator = CountedPaginator(facets.narrow(filterset.qs), settings.ARCHIVE_PAGE_SIZE, count=facets.total)
        page = paginator.get_page(nearest_page_number(request.GET.get("page")))
        articles = articles_of_page(filterset, reuse, page)
        chart = coverage_chart(filterset, reuse, facets)
    if filterset.search_text:
        found = _snippets_of_page(filterset, reuse, page, articles)
        context["snippets_left_out"] = found.left_out
        for article in articles:
            article.snippet = found.found.get(article.pk)
    context.update(
        {
            "page_obj": page,
            "articles": articles,
            "paginator": paginator,
            "address": address,
            "facets": facets.facets,
            "chips": active_filter_chips(address),
            "chart": chart,
            "sort_links": _sort_links(request, filterset),
            **_page_links(request, page),
            **_feed_and_export_links(address, fixed_filters),
        }
    )
    return render(request, template, context)


def _feed_and_export_links(address: ArchiveAddress, fixed_filters) -> dict:
    """The feed and exports of exactly these results; a term page's feed is the term's own."""
    fixed = (fixed_filters or {}).items()
    feed_params = urlencode(
        [(name, value) for name, value in address.params if name != "sort" and (name, value) not in fixed]
    )
    if fixed_filters:
        key, slug = next(iter(fixed))
        feed = reverse(BY_KEY[key].feed_route, kwargs={"slug": slug})
    else:
        feed = reverse("coverage_archive:feed")
    every = urlencode(address.params)
    return {
        "feed_url": f"{feed}?{feed_params}" if feed_params else feed,
        "export_csv_url": reverse("coverage_archive:export_csv") + (f"?{every}" if every else ""),
        "export_json_url": reverse("coverage_archive:export_json") + (f"?{every}" if every else ""),
    }


def articles_of_page(filterset: ArticleFilterSet, reuse: Reuse, page) -> list[Article]:
    """The page's articles, in an order reused like the facet counts (the page's and the API's).

    Ordering a search's results means matching and ranking all of them
    (30,000 for a common word at 100,000 articles), so the ids of a page are
    kept as long as the counts, and the page's total and rows agree.
    The articles themselves are read live: an edit shows at once, and a piece
    withdrawn or unpublished meanwhile is left out.
    """
    ordered = []

    def ids_in_order():
        if filterset.search_text and search.ranks_ids_first():  # read below by id
            return list(page.object_list.values_list("pk", flat=True))
        ordered.extend(page.object_list)
        return [article.pk for article in ordered]

    ids = reuse("page", ids_in_order, filterset.sort_order, page.number, page.paginator.per_page)
    if ordered:  # just read
        return ordered
    found = filterset.queryset.in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


def _snippets_of_page(filterset: ArticleFilterSet, reuse: Reuse, page, articles) -> search.Snippets:
    """The page's snippets, reused like its ids (the same search asked again costs
    no second ts_headline), found within their time budget or left out."""
    budget = settings.SNIPPET_TIME_BUDGET_MS
    if settings.READER_STATEMENT_TIMEOUT_MS > 0:
        budget = min(budget, settings.READER_STATEMENT_TIMEOUT_MS)
    return reuse(
        "snippets",
        lambda: search.snippets_within(articles, filterset.search_text, budget),
        filterset.sort_order,
        page.number,
        page.paginator.per_page,
    )


class CountedPaginator(Paginator):
    """A paginator told its count, which the facet counts already give."""

    def __init__(self, object_list, per_page, *, count: int):
        super().__init__(object_list, per_page)
        self._known_count = count

    @property
    def count(self):
        return self._known_count


def _sort_links(request, filterset):
    """(label, url, current) for each order the reader may choose."""
    current = filterset.sort_order
    asked = ArchiveAddress.of_request(request).dropping("page")
    return [
        (label, asked.replacing("sort", value), value == current)
        for value, label in SortOrder.CHOICES
        if value != SortOrder.RELEVANCE or filterset.search_text
    ]


def _page_links(request, page) -> dict:
    """The previous and next pages, every other parameter kept."""
    asked = ArchiveAddress.of_request(request)
    return {
        "previous_page_url": asked.replacing("page", page.previous_page_number()) if page.has_previous() else "",
        "next_page_url": asked.replacing("page", page.next_page_number()) if page.has_next() else "",
    }


def nearest_page_number(value):
    """Page numbers below 1 mean the first page; get_page() handles the rest
    (past the end: the last page; not a number: the first)."""
    try:
        return max(int(value), 1)
    except (TypeError, ValueError):
        return value


@require_safe
def archive(request):
    return _render_archive(request, "coverage_archive/archive.html", {})


EXPORT_FORMATS = {
    "csv": ("text/csv; charset=utf-8", exports.csv_lines),
    "json": ("application/json", exports.json_chunks),
}


@budget.exempt
@require_safe
def export(request, file_format):
    """The archive page's results (all of them, in its order) as CSV or JSON, streamed."""
    filterset = ArticleFilterSet.from_request(request, Article.objects.published().for_export())
    if not filterset.is_valid():
        return filters_error_response(filterset.form.errors)
    content_type, render_rows = EXPORT_FORMATS[file_format]
    rows = render_rows(filterset.qs) if file_format == "csv" else render_rows(filterset.qs, request)
    # At most EXPORT_CONCURRENCY at once per instance; the slot is freed when the stream ends or is closed.
    slot = resilience.EXPORT_SLOTS.acquire()
    if slot is None:
        return resilience.exports_busy()
    response = StreamingHttpResponse(slot.hold_while(rows), content_type=content_type)
    filename = f"know-your-rights-coverage-{datetime.date.today().isoformat()}.{file_format}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # Exports are for people, not crawlers (robots.txt says so too); a few minutes' reuse is harmless.
    response["X-Robots-Tag"] = "noindex"
    response["Cache-Control"] = "public, max-age=300"
    return response


@require_safe
def term_detail(request, slug, taxonomy: Taxonomy):
    term = get_object_or_404(taxonomy.model, slug=slug)
    return _render_archive(
        request,
        "coverage_archive/term_detail.html",
        {"term": term, "taxonomy": taxonomy},
        fixed_filters={taxonomy.key: term.slug},
    )


@require_safe
def taxonomy_index(request, taxonomy: Taxonomy):
    return render(
        request, "coverage_archive/taxonomy_index.html", {"taxonomy": taxonomy, "terms": taxonomy.with_counts()}
    )


@require_safe
def article_detail(request, slug):
    articles = Article.objects.select_related("source", "item_type", "link_state").prefetch_related(
        "subjects", "organizations"
    )
    article, preview, answer = article_for_reader(request, articles, slug)
    if answer is not None:
        return answer
    related = (
        Article.objects.published()
        .filter(SUBJECTS.condition([subject.pk for subject in article.subjects.all()]))
        .exclude(pk=article.pk)
        .select_related("source")
        .newest_first()[:RELATED_COVERAGE_LIMIT]
    )
    kept = reading.kept_copies(article, request)
    response = render(
        request,
        "coverage_archive/article_detail.html",
        {
            "article": article,
            "related": related,
            "subjects_taxonomy": SUBJECTS,
            "preview": preview,
            "kept": kept,
            "canonical_url": request.build_absolute_uri(article.get_absolute_url()),
            "json_ld": metadata.json_ld_script(metadata.news_article(article, request, kept.capture_urls)),
            "meta_properties": metadata.open_graph(article, request, get_language()),
            "meta_names": metadata.twitter_card(article),
            "citation": metadata.chicago_note(article, request),
            "citation_urls": metadata.citation_urls(article),
        },
    )
    return mark_as_preview(response) if preview else response


CITATION_FORMATS = {
    "ris": ("application/x-research-info-systems; charset=utf-8", "ris", metadata.ris),
    "bibtex": ("application/x-bibtex; charset=utf-8", "bib", metadata.bibtex),
}


@require_safe
def article_citation(request, slug, citation_format):
    """A published article's citation as a file reference managers (Zotero, EndNote, …) import."""
    article = get_object_or_404(
        Article.objects.published().select_related("source").prefetch_related("subjects"), slug=slug
    )
    content_type, extension, build = CITATION_FORMATS[citation_format]
    response = HttpResponse(build(article, request), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{article.slug}.{extension}"'
    response["X-Robots-Tag"] = "noindex"
    return response


def bad_request(request, exception):
    if errors.is_api_request(request):
        return errors.problem(_("Something in the address was not in a form the archive can read."), 400)
    # Django's default renders without the request; ours keeps the page's language and links.
    return render(request, "400.html", status=400)


def not_found(request, exception):
    if errors.is_api_request(request):
        return errors.problem(_("The API has nothing at this address: /api/ lists what it serves."), 404)
    return defaults.page_not_found(request, exception)


@require_safe
def robots_txt(request):
    """Crawlers may read the archive, but not the admin or the exports (every filter would be a new file)."""
    disallowed = [f"/{settings.ADMIN_URL}"]
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            disallowed += [reverse("coverage_archive:export_csv"), reverse("coverage_archive:export_json")]
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in disallowed)]
    lines.append(f"Sitemap: {request.build_absolute_uri(reverse('sitemap_index'))}")
    response = HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "public, max-age=86400"
    return response
