from django.urls import path

from coverage_archive import feeds, pages, views
from coverage_archive.identity import views as identity_views
from coverage_archive.preservation import reading
from coverage_archive.taxonomies import TAXONOMIES

app_name = "coverage_archive"

urlpatterns = [
    path("", views.home, name="home"),
    path("coverage/", views.archive, name="archive"),
    # Fixed names under /coverage/ come before the article pattern; models.RESERVED_ARTICLE_SLUGS keeps them free.
    path("coverage/feed/", feeds.ArchiveFeed(), name="feed"),
    path("coverage/export.csv", views.export, {"file_format": "csv"}, name="export_csv"),
    path("coverage/export.json", views.export, {"file_format": "json"}, name="export_json"),
    path("coverage/<slug:slug>/", views.article_detail, name="article"),
    path("coverage/<slug:slug>/cite.ris", views.article_citation, {"citation_format": "ris"}, name="article_ris"),
    path("coverage/<slug:slug>/cite.bib", views.article_citation, {"citation_format": "bibtex"}, name="article_bibtex"),
    # What the archive captured of a piece: its extracted text, and the WARC file as a download.
    path("coverage/<slug:slug>/captures/<int:pk>/", reading.capture_detail, name="capture"),
    path("coverage/<slug:slug>/captures/<int:pk>.warc.gz", reading.capture_warc, name="capture_warc"),
    path("privacy/", pages.privacy, name="privacy"),
    path("about/", identity_views.about, name="about"),
    # The read API's documentation; the API itself is at /api/v1/ (kyr_site/urls.py), in no language.
    path("api/", pages.api_docs, name="api_docs"),
]

for taxonomy in TAXONOMIES:
    urlpatterns += [
        path(f"{taxonomy.path}/", views.taxonomy_index, {"taxonomy": taxonomy}, name=taxonomy.path),
        path(f"{taxonomy.path}/<slug:slug>/", views.term_detail, {"taxonomy": taxonomy}, name=taxonomy.key),
        path(
            f"{taxonomy.path}/<slug:slug>/feed/",
            feeds.ArchiveFeed(),
            {"taxonomy": taxonomy},
            name=taxonomy.feed_name,
        ),
    ]
