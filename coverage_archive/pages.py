"""Fixed pages about the site itself (not the archive's coverage)."""

from django.shortcuts import render
from django.views.decorators.http import require_safe

# How long the documented production set-up keeps the server's access log
# (README, "What the server records"). The privacy page promises it to readers:
# an operator who keeps logs longer must change this number, and the page with it.
ACCESS_LOG_RETENTION_DAYS = 7


@require_safe
def privacy(request):
    return render(request, "coverage_archive/privacy.html", {"access_log_days": ACCESS_LOG_RETENTION_DAYS})
