"""Throttling sign-in with django-axes: whose address it is, what a locked-out person sees, and
how long a failed attempt is remembered.

Settings (kyr_site/settings.py): 5 failures within 15 minutes lock out the username tried, on
any address, and the address, for any username; a lockout lasts 15 minutes from the failure that
caused it (attempts during it neither count nor extend it); a successful sign-in clears the
record. The lockout page is the same for a username that exists and one that does not.
"""

import ipaddress
import math

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import admin
from django.template.response import TemplateResponse
from django.utils import timezone


def client_ip_address(request) -> str | None:
    """The address a sign-in comes from: REMOTE_ADDR, unless TRUSTED_PROXY_COUNT says how many
    proxies of ours stand in front and append to X-Forwarded-For; then the address the outermost of
    them saw. Anything before it in the header was written by the client and is ignored."""
    remote = request.META.get("REMOTE_ADDR")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < proxies:
        return remote  # not through our proxies: the connection's own address
    candidate = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def lockout_ends(request, credentials) -> timezone.datetime:
    """When the lockout of this request lifts: for each username or address that is locked, the
    time its newest failures reaching the limit turn older than the cool-off; the latest of them."""
    cool_off = get_cool_off(request)
    limit = get_failure_limit(request, credentials)
    handler = AxesProxyHandler.get_implementation()
    ends = []
    for attempts in handler.get_user_attempts(request, credentials):
        counted = 0
        for failures, attempt_time in attempts.order_by("-attempt_time").values_list(
            "failures_since_start", "attempt_time"
        ):
            counted += failures
            if counted >= limit:
                ends.append(attempt_time + cool_off)
                break
    return max(ends, default=timezone.now() + cool_off)


def lockout_response(request, original_response=None, credentials=None):
    """The admin-styled page for a locked-out sign-in: what happened and when to try again,
    naming neither the username nor whether it exists (429 with Retry-After)."""
    ends = lockout_ends(request, credentials)
    seconds = max(0, math.ceil((ends - timezone.now()).total_seconds()))
    context = {
        **admin.site.each_context(request),
        "title": admin.site.site_title,
        "ends": ends,
        "minutes": max(1, math.ceil(seconds / 60)),
        "failure_limit": get_failure_limit(request, credentials),
        "cool_off_minutes": round(get_cool_off(request).total_seconds() / 60),
    }
    response = TemplateResponse(request, "admin/accounts/locked_out.html", context, status=429)
    response["Retry-After"] = str(seconds)
    response.render()
    return response


def delete_expired_attempts() -> int:
    """Delete the records of failed sign-ins whose lockout period is over. django-axes does this
    at each sign-in; the sign-in page and ``manage.py delete_expired_sign_in_attempts`` do it too,
    so no record outlives its lockout for want of a sign-in."""
    threshold = timezone.now() - get_cool_off()
    deleted, _ = AccessAttempt.objects.filter(attempt_time__lte=threshold).delete()
    return deleted
