"""Keep a fetch as a WARC file: every request and response as sent and received.

The file holds a ``warcinfo`` record naming the software, then for each hop (a
redirect included) a ``request`` and a ``response`` record, each response with its
capture time, the address connected to and SHA-256 digests of its payload and block.
It is stored gzip-compressed, a record a member, through Django's storage API, so a
file system (the default) or S3-compatible storage (django-storages) both work.
"""

import base64
import hashlib
import io

from django.core.files.base import ContentFile
from django.db import transaction
from warcio.statusandheaders import StatusAndHeaders
from warcio.utils import Digester
from warcio.warcwriter import WARCWriter

from coverage_archive.preservation.fetching import USER_AGENT, FetchResult, request_target
from coverage_archive.preservation.models import Capture

# Hop-by-hop: the body is stored de-chunked, so the header that says otherwise is dropped.
_DROPPED_RESPONSE_HEADERS = frozenset({"transfer-encoding"})


class _SHA256WARCWriter(WARCWriter):
    @staticmethod
    def _create_digester():
        return Digester("sha256")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def warc_digest(hex_digest: str) -> str:
    """A SHA-256 in WARC's form: ``sha256:`` and the digest in base 32."""
    return "sha256:" + base64.b32encode(bytes.fromhex(hex_digest)).decode()


def _warc_date(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}Z"


def warc_bytes(result: FetchResult) -> bytes:
    """The WARC file of a fetch, every hop in order."""
    buffer = io.BytesIO()
    writer = _SHA256WARCWriter(buffer, gzip=True, warc_version="1.1")
    writer.write_record(
        writer.create_warcinfo_record(
            "capture.warc.gz",
            {"software": USER_AGENT, "format": "WARC File Format 1.1", "isPartOf": "capture"},
        )
    )
    for exchange in result.exchanges:
        date = _warc_date(exchange.fetched_at)
        target = exchange.url
        request_line = f"{exchange.method} {request_target(target)} HTTP/1.1"
        request_headers = StatusAndHeaders(request_line, list(exchange.request_headers), is_http_request=True)
        request = writer.create_warc_record(
            target, "request", payload=io.BytesIO(b""), http_headers=request_headers, warc_headers_dict={}
        )
        request.rec_headers.replace_header("WARC-Date", date)
        response_headers = StatusAndHeaders(
            f"{exchange.status} {exchange.reason}".strip(),
            [(k, v) for k, v in exchange.response_headers if k.lower() not in _DROPPED_RESPONSE_HEADERS],
            protocol=exchange.http_version,
        )
        warc_headers = {"WARC-Date": date, "WARC-IP-Address": exchange.peer_address or ""}
        if not exchange.peer_address:
            del warc_headers["WARC-IP-Address"]
        response = writer.create_warc_record(
            target,
            "response",
            payload=io.BytesIO(exchange.body),
            http_headers=response_headers,
            warc_headers_dict=warc_headers,
        )
        response.rec_headers.replace_header("WARC-Payload-Digest", warc_digest(sha256_hex(exchange.body)))
        request.rec_headers.add_header("WARC-Concurrent-To", response.rec_headers.get_header("WARC-Record-ID"))
        writer.write_record(request)
        writer.write_record(response)
    return buffer.getvalue()


def save_capture(result: FetchResult, *, text: str = "", title: str = "", proposal=None, article=None, user=None):
    """Store the fetch's WARC file and its Capture row; the file goes only if the row is written."""
    final = result.final
    data = warc_bytes(result)
    capture = Capture(
        article=article,
        requested_url=result.requested_url[:2000],
        url=final.url[:2000],
        captured_at=final.fetched_at,
        status_code=final.status,
        content_type=final.content_type[:200],
        payload_sha256=sha256_hex(final.body),
        payload_size=len(final.body),
        warc_sha256=sha256_hex(data),
        title=title[:300],
        text=text,
        proposal=proposal or {},
        created_by=user,
    )
    capture.warc.save("capture.warc.gz", ContentFile(data), save=False)
    stored = capture.warc.name
    try:
        with transaction.atomic():
            capture.save()
    except Exception:
        capture.warc.storage.delete(stored)
        raise
    return capture
