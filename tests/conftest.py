import pytest
from django.contrib.auth.models import Permission

from tests.factories import UserFactory


@pytest.fixture
def reader(client):
    """An anonymous member of the public."""
    return client


@pytest.fixture
def admin_user_client(client, db):
    """A superuser signed in to the admin."""
    user = UserFactory(username="admin", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


@pytest.fixture
def editor(db):
    """A staff member who may change coverage and taxonomy but not users."""
    user = UserFactory(username="editor", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="coverage_archive").exclude(codename__startswith="delete_")
    )
    return user


@pytest.fixture
def seed(db):
    """The shipped seed archive: the WNYC article and its taxonomy."""
    from django.core.management import call_command

    call_command("load_seed_archive", verbosity=0)


@pytest.fixture
def steady_database(monkeypatch):
    """The database's state token held still, so reuse can be tested on its time alone.

    Inside a test's transaction, and beside other work on the same PostgreSQL
    server, the real token (facets.database_state) can move at any moment.
    """
    monkeypatch.setattr("coverage_archive.facets.database_state", lambda: "steady")


@pytest.fixture(autouse=True)
def warm_site_identity():
    """Every test starts on a warm site with no identity saved (today's wording), as a site that
    has served a page does; a test that saves one goes through the admin, which forgets it."""
    from django.core.cache import cache

    from coverage_archive.identity.current import CACHE_KEY
    from coverage_archive.identity.models import SiteIdentity

    cache.set(CACHE_KEY, SiteIdentity(), None)
    yield
    cache.delete(CACHE_KEY)
