"""Publishing, unpublishing and withdrawing articles in bulk (the admin actions).

Whether readers see an article is decided when they ask (published_condition()
in models.py), so a scheduled article needs no job to appear: publishing sets
the status, and published_at only the first time, keeping a time an editor
scheduled.
"""

from django.conf import settings
from django.db import transaction
from django.db.models import DateTimeField, F, Value
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from coverage_archive.history import record_article_changes
from coverage_archive.models import Article, FormerSlug

STATUS_CHANGE_REASONS = {
    Article.Status.PUBLISHED: "Published",
    Article.Status.DRAFT: "Unpublished",
    Article.Status.WITHDRAWN: "Withdrawn",
}


def change_status(queryset, status: str, *, user) -> list[Article]:
    """Give the articles of ``queryset`` that differ the ``status``; record each change.

    Returns the changed articles as they are now.
    """
    now = timezone.now()
    with transaction.atomic():
        ids = list(queryset.exclude(status=status).values_list("pk", flat=True))
        if not ids:
            return []
        published_at = (
            Coalesce("published_at", Value(now, output_field=DateTimeField()))
            if status == Article.Status.PUBLISHED
            else F("published_at")
        )
        Article.objects.filter(pk__in=ids).update(
            status=status, published_at=published_at, updated_at=now, updated_by=user
        )
        changed = list(Article.objects.filter(pk__in=ids).order_by("pk"))
        # QuerySet.update() bypasses the history signals: record the changes here.
        record_article_changes(changed, user=user, reason=STATUS_CHANGE_REASONS[status])
    return changed


def may_publish(user) -> bool:
    return user.has_perm("coverage_archive.publish_article")


def keep_status_unless_allowed(user, article: Article) -> bool:
    """Give ``article`` back the status and publication time it has in the database (draft and
    none for a new one) unless ``user`` may publish. Returns whether anything was put back.

    The admin calls this on every save, so no form (the change form, the add form, simple-history's
    revert, which saves an old version's values whether or not the form shows them) lets staff
    without the publish permission choose what readers see, or when.
    """
    if may_publish(user):
        return False
    if article.pk is None or article._state.adding:
        kept = (Article.Status.DRAFT, None)
    else:
        kept = Article.objects.filter(pk=article.pk).values_list("status", "published_at").get()
    if (article.status, article.published_at) == kept:
        return False
    article.status, article.published_at = kept
    return True


# --- The article page, and the pages of its captures, when no published article has the slug --


def may_preview(request) -> bool:
    """Signed-in staff who may view articles. Readers have no session cookie, so
    their requests never load a session (and get no Vary: Cookie)."""
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return False
    user = request.user
    return user.is_active and user.is_staff and user.has_perm("coverage_archive.view_article")


def article_to_preview(request, articles, slug) -> Article | None:
    """The unpublished article staff asked for (a draft, a scheduled or withdrawn piece)."""
    if not may_preview(request):
        return None
    return articles.filter(slug=slug).first()


def mark_as_preview(response):
    # A preview must not be kept by a cache or indexed, should it ever escape.
    add_never_cache_headers(response)
    response["X-Robots-Tag"] = "noindex"
    return response


def unpublished_answer(slug: str, address=Article.get_absolute_url) -> tuple[str, str]:
    """What readers are told at an address no published article has.

    ("moved", its new address) for a renamed article that is public,
    ("withdrawn", "") for a withdrawn one (410 Gone), ("unknown", "") otherwise.
    ``address`` gives the new address from the public article: its page by default,
    another page of it (a capture of it) for that page's old address.
    """
    status = Article.objects.filter(slug=slug).values_list("status", flat=True).first()
    if status is None:
        former = FormerSlug.objects.filter(slug=slug).select_related("article").first()
        if former is not None:
            if former.article.is_public():
                return "moved", address(former.article)
            status = former.article.status
    return ("withdrawn" if status == Article.Status.WITHDRAWN else "unknown"), ""


def article_for_reader(request, articles, slug, address=Article.get_absolute_url):
    """The article a page of ``slug`` shows: ``(article, preview, None)``, or ``(None, False, answer)``.

    The published article; else, for signed-in staff, the unpublished one as a preview; else
    what readers are told: 301 to ``address`` of the renamed article, 410 if withdrawn, or 404.
    The article page and the pages of its captures (preservation/reading.py) answer alike.
    """
    try:
        return articles.published().get(slug=slug), False, None
    except Article.DoesNotExist:
        article = article_to_preview(request, articles, slug)
        if article is not None:
            return article, True, None
    answer, moved_to = unpublished_answer(slug, address)
    if answer == "moved":
        return None, False, HttpResponsePermanentRedirect(moved_to)
    if answer == "withdrawn":
        return None, False, render(request, "410.html", status=410)
    raise Http404("No published article has this address.")
