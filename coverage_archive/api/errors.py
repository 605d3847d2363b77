"""The API's answers to what goes wrong outside its views: JSON, as its views answer.

Django's error handlers (handler400, handler404, handler500) and the 503s of the
reader's time limit and of an unreachable database render the site's HTML pages.
Under /api/v1/ a script expects the description's JSON body instead, with the
same status and headers; each of those handlers asks `is_api_request` first.
This module imports nothing of the app, so every handler may use it.
"""

from django.http import JsonResponse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

# Where the API lives (kyr_site/urls.py mounts it here).
API_ROOT = "api/v1/"


def is_api_request(request) -> bool:
    return request.path_info.startswith("/" + API_ROOT)


def allow_any_origin(response):
    """Public data for any origin, never with credentials."""
    response["Access-Control-Allow-Origin"] = "*"
    return response


def problem(detail: str, status: int, *, cacheable: bool = True) -> JsonResponse:
    """`{"detail": …}` with the status; never cached when the answer is about this moment (a 503)."""
    response = allow_any_origin(
        JsonResponse({"detail": str(detail)}, status=status, json_dumps_params={"ensure_ascii": False})
    )
    if not cacheable:
        add_never_cache_headers(response)
    return response


def unavailable(retry_after_seconds: int) -> JsonResponse:
    """The API's 503 (the reader's time limit, or the database unreachable): try again after a while."""
    response = problem(_("The archive is unavailable for a moment. Please try again shortly."), 503, cacheable=False)
    response["Retry-After"] = str(retry_after_seconds)
    return response
