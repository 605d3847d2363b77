"""Atom feeds of the archive: any filtered view of /coverage/ and each term's page.

The feed asks the same FilterSet and published() queryset as the page it
mirrors, so it holds the same results: the newest FEED_SIZE of them.
"""

import datetime
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib.syndication.views import Feed
from django.db.models import Model
from django.shortcuts import get_object_or_404
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.translation import gettext as _

from coverage_archive.facets import active_filter_chips
from coverage_archive.filters import ArchiveAddress, ArticleFilterSet, SortOrder, filters_error_response
from coverage_archive.identity.current import current_identity
from coverage_archive.models import Article
from coverage_archive.taxonomies import Taxonomy
from coverage_archive.text import XmlTextGenerator

FEED_SIZE = 50


class InvalidFilters(Exception):
    def __init__(self, errors):
        super().__init__(errors)
        self.errors = errors


class ArchiveAtomFeed(Atom1Feed):
    """Atom, with each entry's outlet as its <source> (RFC 4287 §4.2.11)."""

    def write(self, outfile, encoding):
        # Atom1Feed.write, with a writer that leaves out what XML cannot hold (a
        # stray control character in a stored title), rather than failing the feed.
        handler = XmlTextGenerator(outfile, encoding, short_empty_elements=True)
        handler.startDocument()
        handler.startElement("feed", self.root_attributes())
        self.add_root_elements(handler)
        self.write_items(handler)
        handler.endElement("feed")

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        outlet = item.get("outlet")
        if outlet:
            handler.startElement("source", {})
            handler.addQuickElement("id", outlet["url"])
            handler.addQuickElement("title", outlet["name"])
            handler.addQuickElement("link", "", {"rel": "alternate", "href": outlet["url"]})
            handler.endElement("source")


@dataclass
class FeedSubject:
    """What one feed is about: the filters, and the term when it is a term page's feed."""

    request: object
    filterset: ArticleFilterSet
    term: Model | None = None
    taxonomy: Taxonomy | None = None


class ArchiveFeed(Feed):
    feed_type = ArchiveAtomFeed

    def __call__(self, request, *args, **kwargs):
        try:
            response = super().__call__(request, *args, **kwargs)
        except InvalidFilters as error:
            return filters_error_response(error.errors)
        # Feed readers poll; five minutes of staleness is harmless and spares the database.
        response["Cache-Control"] = "public, max-age=300"
        return response

    def get_object(self, request, slug=None, taxonomy=None):
        term = get_object_or_404(taxonomy.model, slug=slug) if taxonomy else None
        filterset = ArticleFilterSet.from_request(
            request,
            Article.objects.published().for_listing(),
            fixed_filters={taxonomy.key: term.slug} if term else None,
            sort=SortOrder.NEWEST,
        )
        if not filterset.is_valid():
            raise InvalidFilters(filterset.form.errors)
        return FeedSubject(request, filterset, term, taxonomy)

    def title(self, obj):
        if obj.term is not None:
            return f"{obj.term.display_name} · {obj.taxonomy.label} · {current_identity().display_short_name}"
        chips = [chip.label for chip in active_filter_chips(ArchiveAddress.of_filters(obj.filterset))]
        return " · ".join([_("Coverage"), *chips, current_identity().display_short_name])

    def subtitle(self, obj):
        return _("An archive of media coverage about immigrants’ rights, surveillance and organizing.")

    def link(self, obj):
        """The page this feed mirrors, with the same filters."""
        address = ArchiveAddress.of_filters(obj.filterset)
        if obj.term is None:
            return address.dropping("sort").url()
        params = urlencode(address.dropping("sort", obj.taxonomy.key).params)
        return obj.term.get_absolute_url() + (f"?{params}" if params else "")

    def feed_url(self, obj):
        return obj.request.get_full_path()

    def author_name(self):
        return current_identity().display_name

    def items(self, obj):
        return obj.filterset.qs[:FEED_SIZE]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        # Atom's summary is sent as HTML; the archive's summary is plain text.
        return escape(item.summary) if item.summary else None

    def item_author_name(self, item):
        return item.byline or None

    def item_pubdate(self, item):
        """The piece's own date (the first day of its period) when known, else when it was archived."""
        if item.publication_date is None:
            return item.published_at
        return datetime.datetime.combine(item.publication_date, datetime.time(), tzinfo=datetime.UTC)

    def item_updateddate(self, item):
        return max(item.updated_at, item.published_at or item.updated_at)

    def item_categories(self, item):
        return [subject.display_name for subject in item.subjects.all()]

    def item_extra_kwargs(self, item):
        return {"outlet": {"name": item.source.name, "url": self._absolute(item.source.get_absolute_url())}}

    def get_feed(self, obj, request):
        self._request = request
        return super().get_feed(obj, request)

    def _absolute(self, path):
        return self._request.build_absolute_uri(path)
