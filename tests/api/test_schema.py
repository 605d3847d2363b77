"""The API's OpenAPI description: valid, and the committed snapshot is what the code generates.

After changing the API, regenerate the snapshot (and review its diff):
DJANGO_SETTINGS_MODULE=kyr_site.settings_test .venv/bin/python manage.py spectacular \
    --format openapi-json --file coverage_archive/api/openapi.json
"""

import json
from pathlib import Path

import pytest
from openapi_spec_validator import validate

SNAPSHOT = Path(__file__).resolve().parents[2] / "coverage_archive" / "api" / "openapi.json"

pytestmark = pytest.mark.django_db


@pytest.fixture
def served(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return json.loads(response.content)


def test_the_description_is_valid_openapi_3_1(served):
    assert served["openapi"] == "3.1.0"
    validate(served)


def test_the_committed_snapshot_is_the_generated_description(served):
    assert json.loads(SNAPSHOT.read_text()) == served


def test_every_route_of_the_api_is_described(served):
    paths = set(served["paths"])
    assert {"/api/v1/articles/", "/api/v1/articles/{slug}/", "/api/v1/subjects/", "/api/v1/sources/{slug}/"} <= paths
    listed = {p["name"] for p in served["paths"]["/api/v1/articles/"]["get"]["parameters"]}
    assert {"q", "subject", "source", "type", "organization", "language", "sort", "page", "facets"} <= listed


def test_the_list_parameters_say_what_the_api_accepts(served):
    parameters = {p["name"]: p["schema"] for p in served["paths"]["/api/v1/articles/"]["get"]["parameters"]}
    assert parameters["page_size"] == {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}
    assert parameters["page"]["minimum"] == 1
    assert parameters["sort"]["enum"] == ["relevance", "newest", "oldest", "title"]
    assert "es" in parameters["language"]["enum"]
    assert parameters["subject"] == {"type": "array", "items": {"type": "string"}}
    assert parameters["date_from"]["pattern"] == parameters["date_to"]["pattern"]


def test_every_operation_may_answer_400_and_503_with_a_json_problem(served):
    for path, operations in served["paths"].items():
        for operation in operations.values():
            assert {"400", "503"} <= set(operation["responses"]), path


def test_any_origin_may_read_the_description(client):
    response = client.get("/api/v1/openapi.json")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert client.get("/api/v1/openapi.json", headers={"if-none-match": response["ETag"]}).status_code == 304
