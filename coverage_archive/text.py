"""What text the archive accepts and writes: no invisible control characters.

Control characters have no place in coverage or in what a reader types: they
cannot be shown on a page, and XML (the Atom feeds, the sitemaps) cannot hold
most of them at all, so one stray character would break a feed for everyone.
Spreadsheets put them in innocently (Excel writes U+000B for a line break inside
a cell), so each rule here says what it does with them:

- ``clean_reader_text`` / ``reader_params``: what a reader sends is cleaned, never
  refused. The line-breaking ones (tab, line feed, U+000B, form feed, carriage
  return, next line U+0085) become a space, since they part words; every other
  C0 control, DEL and the C1 controls (U+0080 to U+009F) are removed. NUL never gets
  this far: coverage_archive.middleware answers it with a 400.
- ``ControlCharacterValidator``: the admin (and anything else that validates a
  model) refuses them in coverage and taxonomy text, with a message saying which
  character and where. Multi-line fields allow tab, line feed and carriage return.
- ``xml_text`` / ``XmlTextGenerator``: the feeds leave out what XML 1.0 cannot hold,
  so text stored before these rules (or written to the database by other means)
  never turns a feed into an error.
"""

import re

from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _
from django.utils.xmlutils import SimplerXMLGenerator

# Characters that part words where a reader's text holds them.
_LINE_BREAKING = "\t\n\x0b\x0c\r\x85"
_READER_SPACES = re.compile(f"[{_LINE_BREAKING}]")
# Every other C0 control, DEL, and the C1 controls.
_READER_DROPPED = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")

# What the validator refuses: all C0 controls, DEL and C1; multi-line text may hold tab, LF and CR.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_MULTILINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

# What XML 1.0 cannot hold (https://www.w3.org/TR/xml/#charsets): C0 controls other
# than tab, LF and CR, lone surrogates, and the non-characters U+FFFE and U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def unix_newlines(value: str) -> str:
    """Line breaks as ``\\n`` alone: “a\\r\\nb” → “a\\nb”. Browsers' text boxes send ``\\r\\n``
    (HTML says so), and old Mac files a lone ``\\r``; the archive stores, shows and exports ``\\n``."""
    return value.replace("\r\n", "\n").replace("\r", "\n")


def clean_reader_text(value: str) -> str:
    """A reader's text without control characters: “a\\x01b” → “ab”, “a\\tb” → “a b”."""
    if value.isprintable():  # the usual case, with nothing to do
        return value
    return _READER_DROPPED.sub("", _READER_SPACES.sub(" ", value))


def reader_params(params: QueryDict) -> QueryDict:
    """A mutable copy of a request's parameters with every value cleaned (clean_reader_text)."""
    cleaned = QueryDict(mutable=True)
    for name, values in params.lists():
        cleaned.setlist(name, [clean_reader_text(value) for value in values])
    return cleaned


def xml_text(value: str) -> str:
    """The text without what XML 1.0 cannot hold."""
    return _NOT_XML.sub("", value)


class XmlTextGenerator(SimplerXMLGenerator):
    """Django's XML writer, leaving out what XML cannot hold instead of raising
    UnserializableContentError, in text and in attribute values alike."""

    def characters(self, content):
        super().characters(xml_text(content) if content else content)

    def startElement(self, name, attrs):
        super().startElement(name, {key: xml_text(value) for key, value in attrs.items()})


def _character_name(character: str) -> str:
    # Control characters have no Unicode name; these are the ones people meet.
    names = {
        "\t": _("tab"),
        "\n": _("line feed"),
        "\x0b": _("vertical tab, which spreadsheets write for a line break in a cell"),
        "\x0c": _("form feed"),
        "\r": _("carriage return"),
        "\x7f": _("delete"),
    }
    return names.get(character) or _("control character")


@deconstructible(path="coverage_archive.text.ControlCharacterValidator")
class ControlCharacterValidator:
    """Refuses invisible control characters; ``multiline`` allows tab, line feed and carriage return."""

    message = _(
        "Remove the invisible control character %(character)s (%(name)s) at character %(position)s: "
        "web pages and feeds cannot show it. Type a space or a new line instead."
    )
    code = "control_character"

    def __init__(self, multiline: bool = False):
        self.multiline = multiline

    def __call__(self, value):
        if not isinstance(value, str):
            return
        found = (_CONTROL_IN_MULTILINE if self.multiline else _CONTROL).search(value)
        if found:
            character = found.group()
            raise ValidationError(
                self.message,
                code=self.code,
                params={
                    "character": f"U+{ord(character):04X}",
                    "name": _character_name(character),
                    "position": found.start() + 1,
                },
            )

    def __eq__(self, other):
        return isinstance(other, ControlCharacterValidator) and self.multiline == other.multiline

    def __hash__(self):
        return hash((type(self), self.multiline))


single_line_text = ControlCharacterValidator()
multiline_text = ControlCharacterValidator(multiline=True)
