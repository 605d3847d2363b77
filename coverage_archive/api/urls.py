"""/api/v1/: articles, one article, and each taxonomy's terms (from the registry)."""

from django.urls import path
from drf_spectacular.views import SpectacularJSONAPIView

from coverage_archive.api import views
from coverage_archive.taxonomies import TAXONOMIES

app_name = "api"

urlpatterns = [
    path("articles/", views.article_list, name="articles"),
    path("articles/<slug:slug>/", views.article_detail, name="article"),
    # Readable by any origin too (an OpenAPI editor on another site), with the same validators.
    path("openapi.json", views.public(SpectacularJSONAPIView.as_view()), name="openapi"),
]
for taxonomy in TAXONOMIES:
    term_list, term_detail = views.term_views(taxonomy)
    urlpatterns += [
        path(f"{taxonomy.path}/", term_list, {"taxonomy": taxonomy}, name=taxonomy.path),
        path(f"{taxonomy.path}/<slug:slug>/", term_detail, {"taxonomy": taxonomy}, name=taxonomy.key),
    ]
