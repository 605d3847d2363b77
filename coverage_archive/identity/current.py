"""The site's identity as every page reads it: from the cache, so a warm site asks no query for it.

With REDIS_URL the copy is shared by every app instance and kept until a superuser saves the
record (admin.SiteIdentityAdmin.save_model calls forget_identity()), so a change shows at once
everywhere. Without it each process has its own copy (LocMemCache): the process that saved
forgets its copy at once, and the others (gunicorn's other workers) read the record again after
LOCAL_COPY_SECONDS, the most a change can take to reach them.
"""

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, transaction

from coverage_archive.identity.models import SINGLETON_PK, SiteIdentity

CACHE_KEY = "identity:v1:site"
LOCAL_COPY_SECONDS = 30


def current_identity() -> SiteIdentity:
    """The record, or an unsaved empty one (today's wording everywhere) while none is saved."""
    identity = cache.get(CACHE_KEY)
    if identity is None:
        try:
            identity = SiteIdentity.objects.filter(pk=SINGLETON_PK).first() or SiteIdentity()
        except DatabaseError:
            # The database unreachable: the 503 page ("reads nothing from the database") and the
            # error pages still render, under today's wording, and nothing wrong is kept.
            return SiteIdentity()
        cache.set(CACHE_KEY, identity, None if settings.REDIS_URL else LOCAL_COPY_SECONDS)
    return identity


def forget_identity() -> None:
    """Drop the cached copy now and once the saving transaction commits (a page rendered in
    between could otherwise put the old record back for good)."""
    cache.delete(CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(CACHE_KEY))


def totp_issuer(device) -> str:
    """The name authenticator apps list a staff member's code under (settings.OTP_TOTP_ISSUER)."""
    identity = current_identity()
    return f"{identity.name} archive" if identity.is_named else "Know Your Rights archive"


def identity_context(request):
    """Context processor: ``site_identity`` on every template."""
    return {"site_identity": current_identity()}
