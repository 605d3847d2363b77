import pytest

from coverage_archive.urlnorm import normalize_url, without_tracking


@pytest.mark.parametrize(
    "variant",
    [
        "https://example.org/news/story",
        "http://example.org/news/story",
        "https://www.example.org/news/story",
        "https://EXAMPLE.org/news/story/",
        "https://example.org:443/news/story",
        "https://example.org/news/story#comments",
        "https://example.org/news/story?utm_source=newsletter&utm_medium=email",
        "https://example.org/news/story/?fbclid=abc123",
        "example.org/news/story",
    ],
)
def test_links_to_the_same_story_normalize_alike(variant):
    assert normalize_url(variant) == "example.org/news/story"


def test_meaningful_query_parameters_are_kept_in_a_stable_order():
    assert normalize_url("https://example.org/story?b=2&a=1&utm_campaign=x") == "example.org/story?a=1&b=2"
    assert normalize_url("https://example.org/story?id=1") != normalize_url("https://example.org/story?id=2")


def test_path_case_and_non_default_ports_are_kept():
    assert normalize_url("https://example.org/Story") != normalize_url("https://example.org/story")
    assert normalize_url("https://example.org:8080/story") == "example.org:8080/story"


def test_no_url_normalizes_to_the_empty_string():
    assert normalize_url("") == ""
    assert normalize_url("   ") == ""


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        (
            "https://WNYC.org/Story/x/?utm_source=newsletter&id=3&fbclid=abc#top",
            "https://WNYC.org/Story/x/?id=3#top",
        ),
        ("https://example.org/story?utm_medium=email&GCLID=x", "https://example.org/story"),
        ("https://example.org/story?b=2&a=%20x&utm_campaign=y", "https://example.org/story?b=2&a=%20x"),
        ("https://example.org/story?id=1", "https://example.org/story?id=1"),
        ("https://example.org/story#utm_source=x", "https://example.org/story#utm_source=x"),
        ("", ""),
    ],
)
def test_a_stored_url_loses_only_its_tracking_parameters(typed, stored):
    assert without_tracking(typed) == stored
    assert normalize_url(without_tracking(typed)) == normalize_url(typed)
