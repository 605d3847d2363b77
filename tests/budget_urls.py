"""The site's URLs plus two views that run a long query: one public, one under the admin's namespace.

For tests/test_reader_budget.py: a real request through the real middleware to a
real database, with a query of known length.
"""

from django.db import connection, transaction
from django.http import HttpResponse
from django.urls import include, path

from coverage_archive.budget import exempt
from kyr_site.urls import urlpatterns as site_urlpatterns

# Counts to the number given: about a second for a few million on either database.
LONG_QUERY = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < %s) SELECT count(*) FROM c"


def run_long_query(rows: int) -> int:
    # In a savepoint, as the archive's own queries are: a statement stopped there
    # leaves the test's transaction usable.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(LONG_QUERY, [rows])
        return cursor.fetchone()[0]


def long_query(request):
    return HttpResponse(str(run_long_query(int(request.GET["rows"]))), content_type="text/plain")


@exempt
def exempt_long_query(request):
    return long_query(request)


def statement_timeout(request):
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        return HttpResponse(cursor.fetchone()[0], content_type="text/plain")


urlpatterns = [
    path("long-query/", long_query),
    path("exempt-long-query/", exempt_long_query),
    path("statement-timeout/", statement_timeout),
    path(
        "editors/",
        include(([path("long-query/", long_query), path("statement-timeout/", statement_timeout)], "admin")),
    ),
    *site_urlpatterns,
]

handler400 = "coverage_archive.views.bad_request"
