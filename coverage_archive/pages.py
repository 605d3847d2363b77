"""Fixed pages about the site itself (not the archive's coverage): privacy, the API's documentation."""

from django.conf import settings
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from coverage_archive.api.schema import DEFAULT_PAGE_SIZE, FACET_NAMES, MAX_PAGE_SIZE
from coverage_archive.models import Article
from coverage_archive.taxonomies import TAXONOMIES

# How long the documented production set-up keeps the server's access log
# (README, "What the server records"). The privacy page promises it to readers:
# an operator who keeps logs longer must change this number, and the page with it.
ACCESS_LOG_RETENTION_DAYS = 7


@require_safe
def privacy(request):
    context = {
        "access_log_days": ACCESS_LOG_RETENTION_DAYS,
        # Failed sign-ins to the admin (django-axes): kept only as long as their lockout.
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "lockout_minutes": round(settings.AXES_COOLOFF_TIME.total_seconds() / 60),
    }
    return render(request, "coverage_archive/privacy.html", context)


@require_safe
def api_docs(request):
    """/api/: how to read the archive from a script, with an example for every operation of the API.

    The examples name terms and a piece of this archive (the first of each), so every link answers;
    an empty archive gets placeholders."""
    examples = {
        taxonomy.key: taxonomy.model.objects.order_by("pk").values_list("slug", flat=True).first() or "example"
        for taxonomy in TAXONOMIES
    }
    article = Article.objects.published().newest_first().values_list("slug", flat=True).first() or "example"
    subject = examples["subject"]
    context = {
        "list_url": request.build_absolute_uri(reverse("api:articles")),
        "example_query": f"subject={subject}&facets=source",
        "filtered_query": f"subject={subject}&date_from=2018&date_to=2019&sort=oldest&page_size=50",
        "unknown_subject_query": "subject=nothing-here",
        "article_url": request.build_absolute_uri(reverse("api:article", kwargs={"slug": article})),
        "terms": [
            (
                taxonomy,
                request.build_absolute_uri(reverse(f"api:{taxonomy.path}")),
                request.build_absolute_uri(reverse(f"api:{taxonomy.key}", kwargs={"slug": examples[taxonomy.key]})),
            )
            for taxonomy in TAXONOMIES
        ],
        "openapi_url": request.build_absolute_uri(reverse("api:openapi")),
        "facet_names": FACET_NAMES,
        "max_page_size": MAX_PAGE_SIZE,
        "default_page_size": DEFAULT_PAGE_SIZE,
    }
    return render(request, "coverage_archive/api_docs.html", context)
