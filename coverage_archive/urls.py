from django.urls import path

from coverage_archive import views
from coverage_archive.taxonomies import TAXONOMIES

app_name = "coverage_archive"

urlpatterns = [
    path("", views.home, name="home"),
    path("coverage/", views.archive, name="archive"),
    path("coverage/<slug:slug>/", views.article_detail, name="article"),
]

for taxonomy in TAXONOMIES:
    urlpatterns += [
        path(f"{taxonomy.path}/", views.taxonomy_index, {"taxonomy": taxonomy}, name=taxonomy.path),
        path(f"{taxonomy.path}/<slug:slug>/", views.term_detail, {"taxonomy": taxonomy}, name=taxonomy.key),
    ]
