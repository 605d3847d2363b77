"""Every operation of the API's description, called in-process with generated parameters.

Schemathesis reads the committed description (tests/api/test_schema.py holds it to what the
code serves), generates requests for every operation from it — valid parameters (positive) and
ones the description rules out (negative) — sends them to the WSGI application, and checks
each answer: never a 5xx, a status code the description lists for the operation, its content
type, and a body that conforms to the described schema. Derandomized, so every run (and CI)
tries the same requests; the number of examples bounds its time on each database.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.test_schema import SNAPSHOT
from tests.factories import ArticleFactory, ItemTypeFactory, OrganizationFactory, SourceFactory, SubjectFactory

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Per operation: all ten took 23 s on PostgreSQL and 42 s on SQLite on a busy 2-core machine.
EXAMPLES = 100

schema = schemathesis.openapi.from_path(SNAPSHOT)
schema.app = get_wsgi_application()
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=EXAMPLES, deterministic=True
)


@pytest.fixture
def in_the_tests_transaction():
    """Requests through the WSGI handler inside the test's transaction, as Django's test client
    makes them: at each request's start and end Django closes a connection that is not in
    autocommit, which the test's transaction never is."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def archive(db, in_the_tests_transaction):
    """A small archive whose terms the description's examples name, so answers are not all empty."""
    organizing = SubjectFactory(slug="organizing", name="Organizing")
    surveillance = SubjectFactory(slug="surveillance", name="Surveillance")
    source = SourceFactory(slug="example-ledger", name="Example Ledger")
    item_type = ItemTypeFactory(slug="media-coverage", name="Media Coverage")
    organization = OrganizationFactory(slug="synthetic-collective", name="Synthetic Collective")
    for number in range(12):
        ArticleFactory(
            slug=f"example-piece-{number}",
            subjects=[organizing] if number % 3 else [organizing, surveillance],
            organizations=[organization] if number % 2 else [],
            source=source if number % 4 else SourceFactory(),
            item_type=item_type,
        )
    ArticleFactory(slug="synthetic-draft", subjects=[organizing], draft=True)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_every_operation_answers_as_described(case, archive):
    case.call_and_validate(checks=CHECKS)
