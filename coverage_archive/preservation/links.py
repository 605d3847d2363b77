"""The links an editor pastes: how many at once, and how they are read.

Kept apart from ``adding`` so the admin's forms can use them without loading the fetching code
(urllib3, trafilatura …) when Django loads the admin: only an editor's fetch loads it.
"""

# Links fetched in one go, in the admin and by add_from_links.
MAX_LINKS = 20


def links_in(text: str) -> list[str]:
    """The links in an editor's text, one a line, blank lines and repeats dropped."""
    links = []
    for line in (text or "").splitlines():
        line = line.strip()
        if line and line not in links:
            links.append(line)
    return links
