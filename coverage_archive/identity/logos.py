"""What a logo upload may be: a PNG (by its signature) or an SVG with nothing active in it.

An SVG is XML that may carry script, event handlers, foreign (HTML) content or references to
other sites. The site shows the logo through <img>, where none of that runs, but a reader who
opens the file's address would get it as a document; and a reference to another site would be a
third-party request. So such SVGs are refused outright, not cleaned: the organization's designer
can export a plain one. The logo is also served with `Content-Security-Policy: default-src 'none'`
(views.logo), a second wall.
"""

import xml.etree.ElementTree as ElementTree

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_LOGO_BYTES = 200 * 1024
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SVG_NAMESPACE = "http://www.w3.org/2000/svg"
# Elements that run script, embed other documents or pull in other files.
_ACTIVE_ELEMENTS = {"script", "foreignObject", "iframe", "embed", "object", "image", "use", "feImage", "style"}
CONTENT_TYPES = {"png": "image/png", "svg": "image/svg+xml"}


def logo_kind(data: bytes) -> str:
    """ "png" or "svg" for an acceptable logo; ValidationError in plain words otherwise."""
    if len(data) > MAX_LOGO_BYTES:
        raise ValidationError(
            _("The logo is %(size)s KB; it may be at most %(limit)s KB."),
            params={"size": (len(data) + 1023) // 1024, "limit": MAX_LOGO_BYTES // 1024},
            code="too_large",
        )
    if data.startswith(PNG_SIGNATURE):
        return "png"
    _check_svg(data)
    return "svg"


def _check_svg(data: bytes) -> None:
    not_an_image = ValidationError(_("The logo must be a PNG or an SVG image."), code="not_an_image")
    # A DOCTYPE can declare entities (expanding without end, or naming files): never needed in a logo.
    if b"<!DOCTYPE" in data.upper() or b"<!ENTITY" in data.upper():
        raise ValidationError(_("The SVG logo must not contain a DOCTYPE or entity declarations."), code="doctype")
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError:
        raise not_an_image from None
    if root.tag != f"{{{SVG_NAMESPACE}}}svg":
        raise not_an_image
    for element in root.iter():
        namespace, _sep, name = element.tag.rpartition("}")
        if namespace.lstrip("{") != SVG_NAMESPACE or name in _ACTIVE_ELEMENTS:
            raise ValidationError(
                _("The SVG logo contains “%(element)s”, which can run script or load other files: export a plain SVG."),
                params={"element": name},
                code="active_content",
            )
        for attribute, value in element.attrib.items():
            local = attribute.rpartition("}")[2]
            if local.lower().startswith("on") or (local == "href" and not value.startswith("#")):
                raise ValidationError(
                    _("The SVG logo has a “%(attribute)s” attribute, which can run script or load other files."),
                    params={"attribute": local},
                    code="active_content",
                )
            if "url(" in value and "url(#" not in value.replace(" ", ""):
                raise ValidationError(
                    _("The SVG logo refers to another file (“%(attribute)s”): export a plain SVG."),
                    params={"attribute": local},
                    code="active_content",
                )
