from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path

from coverage_archive.api.errors import API_ROOT
from coverage_archive.identity import views as identity_views
from coverage_archive.sitemaps import SITEMAPS
from coverage_archive.views import robots_txt

urlpatterns = [
    path(settings.ADMIN_URL, admin.site.urls),
    # The public read API (coverage_archive/api/): JSON, no language prefix.
    path(API_ROOT, include("coverage_archive.api.urls")),
    path("robots.txt", robots_txt, name="robots_txt"),
    # Browsers ask every site for /favicon.ico, the admin's pages included.
    path("favicon.ico", identity_views.favicon, name="favicon"),
    path("identity/logo/<str:filename>", identity_views.logo, name="identity_logo"),
    path("sitemap.xml", sitemap_views.index, {"sitemaps": SITEMAPS}, name="sitemap_index"),
    path(
        "sitemap-<section>.xml",
        sitemap_views.sitemap,
        {"sitemaps": SITEMAPS},
        name="django.contrib.sitemaps.views.sitemap",
    ),
    # English at the plain URLs, Spanish under /es/: the language comes from the URL alone.
    *i18n_patterns(path("", include("coverage_archive.urls")), prefix_default_language=False),
]

handler400 = "coverage_archive.views.bad_request"
# JSON under /api/v1/, the site's 404 page elsewhere.
handler404 = "coverage_archive.views.not_found"
# The database unreachable outside a view is a 503 too (coverage_archive/resilience.py).
handler500 = "coverage_archive.resilience.server_error"
