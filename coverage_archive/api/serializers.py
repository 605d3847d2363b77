"""The API's JSON shapes: every public field of a piece and of a term, nothing an editor keeps."""

from rest_framework import serializers

from coverage_archive.models import Article


class TermSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    name_es = serializers.CharField()
    url = serializers.SerializerMethodField()

    def get_url(self, term) -> str:
        return self.context["request"].build_absolute_uri(term.get_absolute_url())


class TermWithCountSerializer(TermSerializer):
    description = serializers.CharField()
    description_es = serializers.CharField()
    published_count = serializers.IntegerField(source="article_count")


class ArticleSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    title = serializers.CharField()
    url = serializers.SerializerMethodField()
    source = TermSerializer()
    type = TermSerializer(source="item_type")
    subjects = TermSerializer(many=True)
    organizations = TermSerializer(many=True)
    publication_date = serializers.DateField(allow_null=True)
    date_precision = serializers.ChoiceField(choices=["day", "month", "year", "unknown"])
    language = serializers.CharField()
    byline = serializers.CharField()
    summary = serializers.CharField()
    original_url = serializers.CharField()
    archived_url = serializers.CharField()

    def get_url(self, article: Article) -> str:
        """The piece's page on the site, which is also its canonical URL."""
        return self.context["request"].build_absolute_uri(article.get_absolute_url())


class ArticleDetailSerializer(ArticleSerializer):
    body = serializers.CharField()
    editors_note = serializers.CharField()
