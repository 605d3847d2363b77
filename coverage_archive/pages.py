"""Fixed pages about the site itself (not the archive's coverage)."""

from django.conf import settings
from django.shortcuts import render
from django.views.decorators.http import require_safe

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
