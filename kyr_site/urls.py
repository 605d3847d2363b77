from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    # English at the plain URLs, Spanish under /es/: the language comes from the URL alone.
    *i18n_patterns(path("", include("coverage_archive.urls")), prefix_default_language=False),
]

handler400 = "coverage_archive.views.bad_request"
