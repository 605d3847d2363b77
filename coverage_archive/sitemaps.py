"""sitemap.xml: every published article and every term page in use, in English and in Spanish.

One sitemap per kind and language (listed by the index at /sitemap.xml) rather
than Django's i18n=True, which builds every (item, language) pair in memory: a
per-language sitemap pages through the database with LIMIT/OFFSET, so a million
articles cost no more memory than a thousand. Each page names its other language
itself with hreflang alternates.
"""

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.db.models import Max
from django.urls import reverse
from django.utils import translation

from coverage_archive.models import Article
from coverage_archive.taxonomies import TAXONOMIES


class _InLanguage(Sitemap):
    def __init__(self, language: str):
        self.language = language

    def location(self, item):
        with translation.override(self.language):
            return self._path(item)

    def _path(self, item):
        return item.get_absolute_url()


class ArticleSitemap(_InLanguage):
    def items(self):
        return Article.objects.published().only("slug", "updated_at").order_by("pk")

    def lastmod(self, item):
        return item.updated_at

    def get_latest_lastmod(self):
        # For the index; Django's default would read every article to find it.
        return Article.objects.published().aggregate(latest=Max("updated_at"))["latest"]


class TermSitemap(_InLanguage):
    def items(self):
        return [term for taxonomy in TAXONOMIES for term in taxonomy.with_counts().only("slug")]


class PageSitemap(_InLanguage):
    """The home page, the archive, the taxonomy indexes, the API's documentation, About and Privacy."""

    def items(self):
        return [
            "coverage_archive:home",
            "coverage_archive:archive",
            *(t.index_route for t in TAXONOMIES),
            "coverage_archive:api_docs",
            "coverage_archive:about",
            "coverage_archive:privacy",
        ]

    def _path(self, item):
        return reverse(item)


SITEMAPS = {}
for _code, _name in settings.LANGUAGES:
    SITEMAPS[f"pages-{_code}"] = PageSitemap(_code)
    SITEMAPS[f"terms-{_code}"] = TermSitemap(_code)
    SITEMAPS[f"articles-{_code}"] = ArticleSitemap(_code)
