"""Public pages. Thin function views; the rules live in querysets and the FilterSet."""

from django.conf import settings
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from coverage_archive.filters import MAX_QUERY_LENGTH, ArticleFilterSet
from coverage_archive.models import Article, ArticleSubject
from coverage_archive.taxonomies import SUBJECTS, TAXONOMIES, Taxonomy

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
    data = request.GET.copy()
    query_was_cut = len(data.get("q", "")) > MAX_QUERY_LENGTH
    if query_was_cut:
        data["q"] = data["q"][:MAX_QUERY_LENGTH]
    for name, value in (fixed_filters or {}).items():
        data.setlist(name, [value])
    filterset = ArticleFilterSet(data, queryset=Article.objects.published().for_listing())
    context.update(
        {"filter": filterset, "form": filterset.form, "query_was_cut": query_was_cut, "query_limit": MAX_QUERY_LENGTH}
    )
    if not filterset.is_valid():
        # Invalid filters are never dropped silently: show the form with its errors.
        return render(request, template, context, status=400)
    paginator = Paginator(filterset.qs, settings.ARCHIVE_PAGE_SIZE)
    page = paginator.get_page(nearest_page_number(request.GET.get("page")))
    context.update({"page_obj": page, "articles": page.object_list, "paginator": paginator})
    return render(request, template, context)


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
    article = get_object_or_404(
        Article.objects.published().select_related("source", "item_type").prefetch_related("subjects", "organizations"),
        slug=slug,
    )
    subject_ids = [subject.pk for subject in article.subjects.all()]
    related = (
        Article.objects.published()
        .filter(pk__in=ArticleSubject.objects.filter(subject__in=subject_ids).values("article_id"))
        .exclude(pk=article.pk)
        .select_related("source")
        .newest_first()[:RELATED_COVERAGE_LIMIT]
    )
    return render(
        request,
        "coverage_archive/article_detail.html",
        {"article": article, "related": related, "subjects_taxonomy": SUBJECTS},
    )


def bad_request(request, exception):
    # Django's default renders without the request; ours keeps the page's language and links.
    return render(request, "400.html", status=400)
