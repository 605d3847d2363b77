"""The About page, the favicon and the logo's own address."""

from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from coverage_archive.identity.current import current_identity


@require_safe
def about(request):
    """/about/: what the archive is, who keeps it, how coverage is chosen, how to ask for a correction."""
    return render(request, "coverage_archive/about.html")


@require_safe
@cache_control(public=True, max_age=86400)
def favicon(request):
    """/favicon.ico, which browsers ask for on every site: the logo, or the archive's default icon."""
    return HttpResponseRedirect(current_identity().logo_url or static("img/favicon.svg"))


@require_safe
def logo(request, filename):
    """The current logo, from the default storage (the media folder is not served as such).

    Its name changes with each upload, so it is cached for a year. Served with a policy that lets
    nothing in it run or load, should a reader open it as a document (logos.py)."""
    identity = current_identity()
    if not identity.logo or identity.logo.name.rpartition("/")[2] != filename:
        raise Http404
    try:
        with identity.logo.open("rb") as file:
            data = file.read()
    except FileNotFoundError:
        raise Http404 from None
    response = HttpResponse(data, content_type=identity.logo_content_type)
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["Content-Disposition"] = "inline"
    return response
