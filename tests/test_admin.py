"""The editors' admin: every page opens, and articles are added and checked as editors expect."""

import datetime

import pytest
from django.contrib import admin
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.html import escape

from coverage_archive.admin import LanguageInUseFilter, SubjectFilter
from coverage_archive.dates import DatePrecision
from coverage_archive.models import Article, ItemType, Organization, Source, Subject
from coverage_archive.preservation.admin import LinkStateFilter
from tests.factories import (
    ArticleFactory,
    ItemTypeFactory,
    OrganizationFactory,
    SourceFactory,
    SubjectFactory,
)

ARTICLE_ADD = "/admin/coverage_archive/article/add/"
ARTICLE_CHANGELIST = "/admin/coverage_archive/article/"
DATE_ERROR = "Enter a date as YYYY, YYYY-MM or YYYY-MM-DD, for example 2018 or 2018-11."
RESERVED_SLUG_ERROR = (
    "This slug is the address of one of the archive's own pages (such as “feed” or “export”); choose another."
)


@pytest.fixture
def archive_data(db):
    """A published, month-dated article with an organization, and a draft with another source."""
    organization = OrganizationFactory(name="Synthetic Tenants Union", slug="synthetic-tenants-union")
    published = ArticleFactory(
        title="Synthetic published piece",
        slug="synthetic-published-piece",
        publication_date=datetime.date(2018, 11, 1),
        date_precision=DatePrecision.MONTH,
        language="es",
        original_url="https://example.org/story",
        organizations=[organization],
    )
    draft = ArticleFactory(draft=True, title="Synthetic draft piece", slug="synthetic-draft-piece")
    return {"published": published, "draft": draft, "organization": organization}


# --- Smoke: every page of every model opens -----------------------------------------

MODELS = {
    "source": Source,
    "subject": Subject,
    "itemtype": ItemType,
    "organization": Organization,
    "article": Article,
}


def test_every_coverage_model_is_registered_in_the_admin():
    registered = {model for model in admin.site._registry if model._meta.app_label == "coverage_archive"}

    assert registered == set(MODELS.values())


@pytest.mark.parametrize("page", ["changelist", "add", "change"])
@pytest.mark.parametrize("model_name", MODELS)
def test_superuser_can_open_every_admin_page(admin_user_client, archive_data, model_name, page):
    model = MODELS[model_name]
    instance = model.objects.order_by("pk").first()
    url = {
        "changelist": f"/admin/coverage_archive/{model_name}/",
        "add": f"/admin/coverage_archive/{model_name}/add/",
        "change": f"/admin/coverage_archive/{model_name}/{instance.pk}/change/",
    }[page]

    response = admin_user_client.get(url)

    assert response.status_code == 200
    content = response.content.decode()
    if page == "changelist":
        assert escape(str(instance)) in content
    elif page == "change":
        assert f'value="{escape(instance.slug)}"' in content
    else:
        assert 'name="slug"' in content
        assert 'name="name"' in content or 'name="title"' in content


@pytest.mark.parametrize(
    ("model_name", "term"),
    [
        ("source", "Synthetic Source"),
        ("subject", "Synthetic Subject"),
        ("itemtype", "Synthetic Type"),
        ("organization", "Tenants"),
        ("article", "published"),
    ],
)
def test_superuser_can_search_every_changelist(admin_user_client, archive_data, model_name, term):
    response = admin_user_client.get(f"/admin/coverage_archive/{model_name}/", {"q": term})

    assert response.status_code == 200
    result_count = response.context["cl"].result_count
    assert result_count >= 1
    if model_name == "article":
        assert result_count == 1
        assert "Synthetic published piece" in response.content.decode()


def test_article_search_finds_an_article_by_an_organization_it_names(admin_user_client, archive_data):
    response = admin_user_client.get(ARTICLE_CHANGELIST, {"q": "Tenants Union"})

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [archive_data["published"]]


def _filter_params(archive_data):
    published = archive_data["published"]
    return {
        "status": {"status__exact": "published"},
        "item_type": {"item_type__id__exact": published.item_type_id},
        "language": {"language__exact": "es"},
        "subjects": {"subjects__id__exact": published.subjects.get().pk},
        "source": {"source__id__exact": published.source_id},
        "date_precision": {"date_precision__exact": "month"},
        "date_hierarchy": {"publication_date__year": "2018"},
    }


@pytest.mark.parametrize(
    "list_filter", ["status", "item_type", "language", "subjects", "source", "date_precision", "date_hierarchy"]
)
def test_each_article_list_filter_applies(admin_user_client, archive_data, list_filter):
    response = admin_user_client.get(ARTICLE_CHANGELIST, _filter_params(archive_data)[list_filter])

    assert response.status_code == 200  # an unusable filter would redirect with ?e=1
    assert list(response.context["cl"].result_list) == [archive_data["published"]]


@pytest.mark.parametrize(
    "params",
    [{"subjects__id__exact": "abc"}, {"publication_date__year": "abc"}, {"source__id__exact": "99999999999"}],
)
def test_an_unusable_article_filter_value_is_not_a_500(admin_user_client, archive_data, params):
    response = admin_user_client.get(ARTICLE_CHANGELIST, params)

    # Django's admin answers a filter it cannot use by redirecting to ?e=1, or lists nothing.
    assert response.status_code == 302 or response.context["cl"].result_count == 0
    if response.status_code == 302:
        assert response["Location"].endswith("?e=1")


@pytest.mark.parametrize("parameter", ["status__exact", "language__exact", "date_precision__exact", "q"])
def test_a_nul_byte_in_an_article_list_filter_is_a_400_not_a_500(admin_user_client, archive_data, parameter):
    response = admin_user_client.get(ARTICLE_CHANGELIST, {parameter: "a\x00b"})

    assert response.status_code == 400


def test_the_list_filters_are_the_ones_tested():
    # Keeps the parametrized filter test above honest when a filter is added.
    assert admin.site._registry[Article].list_filter == [
        "status",
        LinkStateFilter,  # tested in tests/test_check_links.py
        "item_type",
        ("language", LanguageInUseFilter),
        "date_precision",
        ("subjects", SubjectFilter),
        "source",
    ]


def _filter_choices(response, title):
    (spec,) = [spec for spec in response.context["cl"].filter_specs if spec.title == title]
    return [str(choice["display"]) for choice in spec.choices(response.context["cl"])]


def test_the_language_filter_lists_only_the_languages_in_use(admin_user_client, archive_data):
    # archive_data holds one article in Spanish and one in English (the factory's default).
    response = admin_user_client.get(ARTICLE_CHANGELIST)

    assert _filter_choices(response, "language") == ["All", "English", "Spanish"]


def test_the_subject_filter_has_no_bare_dash_entry(admin_user_client, archive_data):
    response = admin_user_client.get(ARTICLE_CHANGELIST)

    subjects = sorted(str(subject) for subject in Subject.objects.all())
    assert _filter_choices(response, "subjects") == ["All", *subjects]


def test_a_term_name_differing_only_in_case_is_refused(admin_user_client, db):
    SubjectFactory(name="Synthetic Duplicate", slug="synthetic-duplicate")

    response = admin_user_client.post(
        "/admin/coverage_archive/subject/add/", {"name": "synthetic DUPLICATE", "slug": "another-slug"}
    )

    assert response.status_code == 200
    message = "A term with this name already exists (names are compared ignoring case)."
    assert response.context["adminform"].form.non_field_errors() == [message]
    assert Subject.objects.count() == 1


# --- Adding an article ------------------------------------------------------------------------


@pytest.fixture
def terms(db):
    return {
        "source": SourceFactory(),
        "item_type": ItemTypeFactory(),
        "subjects": [SubjectFactory(), SubjectFactory()],
        "organizations": [OrganizationFactory()],
    }


def article_form_data(terms, **overrides):
    data = {
        "title": "Synthetic admin-made article",
        "slug": "synthetic-admin-made-article",
        "source": terms["source"].pk,
        "item_type": terms["item_type"].pk,
        "subjects": [subject.pk for subject in terms["subjects"]],
        "organizations": [organization.pk for organization in terms["organizations"]],
        "byline": "A. Synthetic Reporter",
        "date": "2018-11",
        "language": "en",
        "original_url": "https://synthetic.example.org/admin-made",
        "archived_url": "https://archive.example.org/synthetic/admin-made",
        "summary": "A synthetic summary.",
        "body": "A synthetic paragraph.",
        "editors_note": "Dated from a synthetic newsletter.",
        "status": "published",
        "published_at_0": "",
        "published_at_1": "",
        "_save": "Save",
    }
    data.update(overrides)
    return data


def form_errors(response):
    return response.context["adminform"].form.errors if response.status_code == 200 else {}


def test_adding_an_article_stores_its_date_links_editors_and_publication_time(admin_user_client, terms):
    before = timezone.now()

    response = admin_user_client.post(ARTICLE_ADD, article_form_data(terms))

    assert response.status_code == 302, form_errors(response)
    article = Article.objects.get(slug="synthetic-admin-made-article")
    assert article.title == "Synthetic admin-made article"
    assert article.publication_date == datetime.date(2018, 11, 1)
    assert article.date_precision == DatePrecision.MONTH
    assert set(article.subjects.all()) == set(terms["subjects"])
    assert set(article.organizations.all()) == set(terms["organizations"])
    admin_user = response.wsgi_request.user
    assert article.created_by == admin_user
    assert article.updated_by == admin_user
    assert article.status == Article.Status.PUBLISHED
    assert before <= article.published_at <= timezone.now()
    assert article.original_url_normalized == "synthetic.example.org/admin-made"
    assert article.is_public()


def test_adding_a_draft_leaves_its_publication_time_empty(admin_user_client, terms):
    response = admin_user_client.post(ARTICLE_ADD, article_form_data(terms, status="draft", date=""))

    assert response.status_code == 302, form_errors(response)
    article = Article.objects.get(slug="synthetic-admin-made-article")
    assert article.published_at is None
    assert article.publication_date is None
    assert article.date_precision == DatePrecision.UNKNOWN


def test_an_explicit_publication_time_is_kept(admin_user_client, terms):
    data = article_form_data(terms, published_at_0="2030-01-02", published_at_1="09:30:00")

    response = admin_user_client.post(ARTICLE_ADD, data)

    assert response.status_code == 302, form_errors(response)
    article = Article.objects.get(slug="synthetic-admin-made-article")
    assert article.published_at == datetime.datetime(2030, 1, 2, 9, 30, tzinfo=datetime.UTC)
    assert not article.is_public()  # scheduled, not yet visible


def test_changing_an_article_records_who_changed_it_but_keeps_its_creator(admin_user_client, archive_data, terms):
    article = archive_data["published"]
    creator = article.created_by

    data = article_form_data(
        terms,
        title="Synthetic renamed piece",
        slug=article.slug,
        original_url=article.original_url,
        published_at_0=article.published_at.strftime("%Y-%m-%d"),
        published_at_1=article.published_at.strftime("%H:%M:%S"),
    )
    response = admin_user_client.post(f"/admin/coverage_archive/article/{article.pk}/change/", data)

    assert response.status_code == 302, form_errors(response)
    article.refresh_from_db()
    assert article.title == "Synthetic renamed piece"
    assert article.updated_by == response.wsgi_request.user
    assert article.created_by == creator


@pytest.mark.parametrize("date", ["Nov 2018", "2018-13", "2018/11", "0000", "18"])
def test_bad_date_text_is_a_form_error_and_creates_nothing(admin_user_client, terms, date):
    response = admin_user_client.post(ARTICLE_ADD, article_form_data(terms, date=date))

    assert response.status_code == 200
    assert form_errors(response)["date"] == [DATE_ERROR]
    assert DATE_ERROR in response.content.decode()
    assert not Article.objects.exists()


def test_an_article_needs_a_subject(admin_user_client, terms):
    response = admin_user_client.post(ARTICLE_ADD, article_form_data(terms, subjects=[]))

    assert response.status_code == 200
    assert "subjects" in form_errors(response)
    assert not Article.objects.exists()


def test_a_reserved_slug_is_refused_in_plain_words(admin_user_client, terms):
    response = admin_user_client.post(ARTICLE_ADD, article_form_data(terms, slug="feed"))

    assert response.status_code == 200
    errors = form_errors(response)
    assert RESERVED_SLUG_ERROR in [message for messages in errors.values() for message in messages]
    assert escape(RESERVED_SLUG_ERROR) in response.content.decode()
    assert not Article.objects.exists()


def test_an_original_url_already_archived_is_refused_naming_the_existing_article(admin_user_client, terms):
    existing = ArticleFactory(title="Synthetic first copy", original_url="https://example.org/story")

    data = article_form_data(terms, original_url="http://www.example.org/story/?utm_source=x")
    response = admin_user_client.post(ARTICLE_ADD, data)

    assert response.status_code == 200
    message = "This original URL is already in the archive as “Synthetic first copy”."
    link = f'<a href="/admin/coverage_archive/article/{existing.pk}/change/">Open the existing article</a>'
    assert form_errors(response)["original_url"] == [f"{message} {link}"]
    assert f"{message} {link}" in response.content.decode()  # a working link, not escaped text
    assert list(Article.objects.all()) == [existing]


def test_saving_an_article_again_does_not_clash_with_its_own_original_url(admin_user_client, archive_data, terms):
    article = archive_data["published"]
    data = article_form_data(
        terms,
        title=article.title,
        slug=article.slug,
        original_url="https://www.example.org/story/",
        published_at_0=article.published_at.strftime("%Y-%m-%d"),
        published_at_1=article.published_at.strftime("%H:%M:%S"),
    )

    response = admin_user_client.post(f"/admin/coverage_archive/article/{article.pk}/change/", data)

    assert response.status_code == 302, form_errors(response)


# --- The change form --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("publication_date", "precision", "text"),
    [
        (datetime.date(2018, 11, 1), DatePrecision.MONTH, "2018-11"),
        (datetime.date(2018, 1, 1), DatePrecision.YEAR, "2018"),
        (datetime.date(2018, 11, 5), DatePrecision.DAY, "2018-11-05"),
    ],
)
def test_change_form_shows_the_date_as_the_editor_wrote_it(admin_user_client, db, publication_date, precision, text):
    article = ArticleFactory(publication_date=publication_date, date_precision=precision)

    response = admin_user_client.get(f"/admin/coverage_archive/article/{article.pk}/change/")

    assert response.status_code == 200
    assert response.context["adminform"].form["date"].value() == text
    assert f'name="date" value="{text}"' in response.content.decode()


def test_change_form_of_an_undated_article_has_an_empty_date(admin_user_client, db):
    article = ArticleFactory(publication_date=None, date_precision=DatePrecision.UNKNOWN)

    response = admin_user_client.get(f"/admin/coverage_archive/article/{article.pk}/change/")

    assert response.status_code == 200
    assert not response.context["adminform"].form["date"].value()


def test_view_on_site_is_offered_for_a_published_article(admin_user_client, archive_data):
    article = archive_data["published"]

    response = admin_user_client.get(f"/admin/coverage_archive/article/{article.pk}/change/")

    assert response.status_code == 200
    assert '<a href="/coverage/synthetic-published-piece/" class="viewsitelink">' in response.content.decode()
    assert admin.site._registry[Article].view_on_site(article) == "/coverage/synthetic-published-piece/"


def test_view_on_site_is_not_offered_for_a_draft(admin_user_client, archive_data):
    article = archive_data["draft"]

    response = admin_user_client.get(f"/admin/coverage_archive/article/{article.pk}/change/")

    assert response.status_code == 200
    assert "viewsitelink" not in response.content.decode()
    assert admin.site._registry[Article].view_on_site(article) is None


def test_view_on_site_is_not_offered_for_a_scheduled_article(db):
    article = ArticleFactory(published_at=timezone.now() + datetime.timedelta(days=3))

    assert admin.site._registry[Article].view_on_site(article) is None


# --- Deleting and permissions --------------------------------------------------------------------


def test_deleting_a_subject_in_use_is_refused(archive_data):
    subject = archive_data["published"].subjects.get()

    with pytest.raises(ProtectedError):
        subject.delete()

    assert Subject.objects.filter(pk=subject.pk).exists()
    assert archive_data["published"].subjects.get() == subject


def test_admin_delete_page_for_a_subject_in_use_names_the_protected_article(admin_user_client, archive_data):
    subject = archive_data["published"].subjects.get()
    url = f"/admin/coverage_archive/subject/{subject.pk}/delete/"

    page = admin_user_client.get(url)
    response = admin_user_client.post(url, {"post": "yes"})

    assert page.status_code == 200
    assert "would require deleting the following protected related objects" in page.content.decode()
    assert "Synthetic published piece" in page.content.decode()
    assert response.status_code == 200  # the confirmation again, not a redirect after deleting
    assert Subject.objects.filter(pk=subject.pk).exists()


def test_deleting_an_unused_subject_works(admin_user_client, db):
    subject = SubjectFactory()

    response = admin_user_client.post(f"/admin/coverage_archive/subject/{subject.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Subject.objects.filter(pk=subject.pk).exists()


def test_editor_may_not_see_the_user_list(client, editor):
    client.force_login(editor)

    response = client.get("/admin/auth/user/")

    assert response.status_code == 403


def test_editor_may_open_the_article_list_but_not_delete(client, editor, archive_data):
    client.force_login(editor)
    article = archive_data["published"]

    listing = client.get(ARTICLE_CHANGELIST)
    delete = client.get(f"/admin/coverage_archive/article/{article.pk}/delete/")

    assert listing.status_code == 200
    assert "Synthetic published piece" in listing.content.decode()
    assert delete.status_code == 403


def test_anonymous_visitor_is_sent_to_the_admin_login(client, db):
    response = client.get(ARTICLE_CHANGELIST)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
