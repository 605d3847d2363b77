"""Preservation: what the archive keeps of the originals it records.

- ``fetching``: fetches an address an editor typed, safely (public addresses only,
  checked at every hop and for the address connected to; capped in size and time).
- ``extraction``: turns a fetched news page into a proposed draft (trafilatura, htmldate).
- ``capturing``: keeps each fetch as a WARC file (warcio) in Django's storage.
- ``adding``: "Add from a link": one link in, one outcome out (draft, duplicate, refusal),
  shared by the admin and ``manage.py add_from_links``.
- ``checking``: ``manage.py check_links``: is the original still there?

Nothing in a reader's request path imports ``fetching``: readers never make the
server fetch anything.
"""
