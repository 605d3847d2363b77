"""A capture's WARC file lives as long as its row: deleted with it, but only once the deletion commits."""

import pytest
from django.db import transaction

from coverage_archive.preservation.models import Capture
from tests.captures import synthetic_capture
from tests.factories import ArticleFactory


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def test_deleting_an_article_deletes_its_capture_files_after_the_commit(db, media, django_capture_on_commit_callbacks):
    article = ArticleFactory()
    captures = [synthetic_capture(article, number=number) for number in (1, 2)]
    kept = synthetic_capture(ArticleFactory(), number=3)
    storage = Capture._meta.get_field("warc").storage
    names = [capture.warc.name for capture in captures]
    assert all(storage.exists(name) for name in names)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        article.delete()
    # Not yet committed: the files are still there.
    assert all(storage.exists(name) for name in names)

    for callback in callbacks:
        callback()
    assert not any(storage.exists(name) for name in names)
    assert storage.exists(kept.warc.name)
    assert sorted(path.name for path in media.rglob("*.warc.gz")) == [kept.warc.name.rsplit("/", 1)[1]]


def test_a_deletion_rolled_back_keeps_the_files(db, media, django_capture_on_commit_callbacks):
    article = ArticleFactory()
    capture = synthetic_capture(article)

    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        article.delete()
        transaction.set_rollback(True)

    assert callbacks == []
    assert Capture.objects.filter(pk=capture.pk).exists()
    assert capture.warc.storage.exists(capture.warc.name)


def test_deleting_captures_by_queryset_deletes_their_files(db, media, django_capture_on_commit_callbacks):
    capture = synthetic_capture()  # a proposal, attached to no article

    with django_capture_on_commit_callbacks(execute=True):
        Capture.objects.filter(pk=capture.pk).delete()

    assert not capture.warc.storage.exists(capture.warc.name)
