"""The public read API (/api/v1/): the pages' FilterSet, facets and visibility, as JSON."""

import hashlib
import time
from functools import wraps

from django.core.cache import cache
from django.db.models import Count, Prefetch
from django.urls import reverse
from django.utils.cache import patch_cache_control, set_response_etag
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.views.decorators.http import conditional_page
from rest_framework.decorators import api_view
from rest_framework.response import Response

from coverage_archive import search
from coverage_archive.api import errors, schema
from coverage_archive.api.serializers import ArticleDetailSerializer, ArticleSerializer, TermWithCountSerializer
from coverage_archive.facets import Reuse, compute_facets
from coverage_archive.filters import ArchiveAddress, ArticleFilterSet
from coverage_archive.models import Article, Organization, published_condition
from coverage_archive.publishing import unpublished_answer
from coverage_archive.taxonomies import Taxonomy
from coverage_archive.views import CountedPaginator, articles_of_page

# HEAD as well as GET, as every page of the site answers (DRF's api_view allows only the methods named).
READ = ["GET", "HEAD"]
MAX_PAGE_SIZE = schema.MAX_PAGE_SIZE
DEFAULT_PAGE_SIZE = schema.DEFAULT_PAGE_SIZE
FACET_NAMES = schema.FACET_NAMES


# How long the time a version of an answer was first served is remembered (see first_served).
FIRST_SERVED_MEMORY_SECONDS = 24 * 60 * 60


def public(view):
    """Public data for any origin (never credentials), with validators: an ETag of the body
    and a Last-Modified (see first_served). A client that sends either back (If-None-Match,
    If-Modified-Since) gets 304 and no body while the answer is unchanged. `no-cache`: a
    shared cache may keep an answer but asks again each time, so nothing stale is served."""

    def dated(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        # After DRF renders the body, before conditional_page (whose callback comes next) compares.
        response.add_post_render_callback(lambda rendered: _add_validators(request, rendered))
        return response

    conditional = conditional_page(wraps(view)(dated))

    @wraps(view)  # keeps DRF's view class, which the schema generator reads
    def answer(request, *args, **kwargs):
        response = conditional(request, *args, **kwargs)
        if hasattr(response, "add_post_render_callback") and not response.is_rendered:
            # Also on the 304 that conditional_page's callback may put in its place.
            response.add_post_render_callback(errors.allow_any_origin)
            return response
        return errors.allow_any_origin(response)

    return answer


def _add_validators(request, response):
    if request.method != "GET" or response.status_code != 200:
        return
    patch_cache_control(response, no_cache=True)
    set_response_etag(response)
    served = first_served(request, response["ETag"])
    if served is not None:
        response["Last-Modified"] = http_date(served)


def first_served(request, etag: str) -> int | None:
    """When this version of this answer (its address and ETag) was first served, in whole seconds.

    The time the archive's state behind an answer last changed is not known cheaply (a
    withdrawal, a deletion, a piece going public at its scheduled time, a term renamed), but
    the answer's ETag changes with any of them, so the first time a version is served is a
    Last-Modified that can never hide a change: a later version is first served after this
    one was. None within that first second, when an earlier version may have been served in
    the same second, which If-Modified-Since (whole seconds) could not tell apart. Kept in the
    cache (shared in Redis across app instances); if it is forgotten, the version counts as new
    again: a later Last-Modified, fewer 304s, never a wrong one.
    """
    described = f"{request.get_full_path()}#{etag}"
    key = "api:first-served:" + hashlib.sha256(described.encode()).hexdigest()
    now = time.time()
    first = cache.get(key)
    if first is None:
        first = now
        cache.set(key, first, FIRST_SERVED_MEMORY_SECONDS)
    return None if int(first) == int(now) else int(first)


def _problems(problems: dict) -> Response:
    """400: each problem by parameter, in the 400 page's words."""
    return Response(
        {
            "detail": _("Some filters could not be used:"),
            "errors": {name: list(messages) for name, messages in problems.items()},
        },
        status=400,
    )


def _whole_number(value, default, name, problems, largest=None):
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1 or (largest and number > largest):
        message = (
            _("Give a whole number from 1 to %(largest)s.") % {"largest": largest}
            if largest
            else _("Give a whole number of at least 1.")
        )
        problems[name] = [message]
    return number


def _articles():
    return (
        Article.objects.published()
        .for_listing()
        .prefetch_related(Prefetch("organizations", queryset=Organization.objects.order_by("name", "pk")))
    )


@public
@schema.article_list
@api_view(READ)
def article_list(request):
    filterset = ArticleFilterSet.from_request(request, _articles())
    problems = (
        {} if filterset.is_valid() else {name: list(messages) for name, messages in filterset.form.errors.items()}
    )
    page = _whole_number(request.GET.get("page"), 1, "page", problems)
    page_size = _whole_number(request.GET.get("page_size"), DEFAULT_PAGE_SIZE, "page_size", problems, MAX_PAGE_SIZE)
    asked_facets = [name for value in request.GET.getlist("facets") for name in value.split(",") if name]
    unknown = [name for name in asked_facets if name not in FACET_NAMES]
    if unknown:
        problems["facets"] = [
            _("“%(value)s” is not a facet; choose from %(names)s.") % {"value": name, "names": ", ".join(FACET_NAMES)}
            for name in unknown
        ]
    if problems:
        return _problems(problems)
    reuse = Reuse(ArchiveAddress.of_filters(filterset))
    # As the page reads them (coverage_archive/views.py): the same counts, and the same order of
    # results, each reused for the next reader of the same filters.
    with search.index_scans(bool(filterset.search_text)):
        facets = compute_facets(filterset, reuse)
        paginator = CountedPaginator(facets.narrow(filterset.qs), page_size, count=facets.total)
        # Past the last page: no rows, and no query (an OFFSET beyond the database's integers fails).
        results = articles_of_page(filterset, reuse, paginator.page(page)) if page <= paginator.num_pages else []
    asked = ArchiveAddress.of_request(request, request.build_absolute_uri(request.path))
    body = {
        "total": facets.total,
        "page": page,
        "page_size": page_size,
        "next": asked.replacing("page", page + 1) if page < paginator.num_pages else None,
        "previous": asked.replacing("page", page - 1) if page > 1 else None,
        "results": ArticleSerializer(results, many=True, context={"request": request}).data,
    }
    if asked_facets:
        body["facets"] = {
            facet.key: [{"value": v.value, "label": v.label, "count": v.count} for v in facet.values]
            for facet in facets.facets
            if facet.key in asked_facets
        }
    return Response(body)


@public
@schema.article_detail
@api_view(READ)
def article_detail(request, slug):
    article = _articles().filter(slug=slug).first()
    if article is None:
        answer, moved_to = unpublished_answer(slug, lambda moved: reverse("api:article", kwargs={"slug": moved.slug}))
        if answer == "moved":
            response = Response(status=301)
            response["Location"] = moved_to
            return response
        if answer == "withdrawn":
            return Response({"detail": _("This piece was withdrawn from the archive.")}, status=410)
        return Response({"detail": _("No published article has this address.")}, status=404)
    return Response(ArticleDetailSerializer(article, context={"request": request}).data)


def term_list(request, taxonomy: Taxonomy):
    terms = taxonomy.with_counts()
    return Response({"results": TermWithCountSerializer(terms, many=True, context={"request": request}).data})


def term_detail(request, slug, taxonomy: Taxonomy):
    counted = taxonomy.model.objects.annotate(article_count=Count("articles", filter=published_condition("articles__")))
    term = counted.filter(slug=slug).first()
    if term is None:
        return Response({"detail": _("There is no such term in the archive.")}, status=404)
    return Response(TermWithCountSerializer(term, context={"request": request}).data)


def term_views(taxonomy: Taxonomy):
    """The taxonomy's list and term views, each its own operation in the description."""
    as_list = public(schema.term_list(taxonomy)(api_view(READ)(term_list)))
    as_detail = public(schema.term_detail(taxonomy)(api_view(READ)(term_detail)))
    return as_list, as_detail
