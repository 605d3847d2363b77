"""Form fields shared by the readers' filters and the editors' admin."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from coverage_archive.dates import PartialDate, parse_partial_date
from coverage_archive.text import unix_newlines


class PartialDateField(forms.CharField):
    """``2018``, ``2018-11`` or ``2018-11-05`` → PartialDate (None when empty)."""

    default_error_messages = {
        "invalid": _("Enter a date as YYYY, YYYY-MM or YYYY-MM-DD, for example 2018 or 2018-11."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 10)
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        try:
            return parse_partial_date(value)
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None

    def validate(self, value):
        # CharField.validate/run_validators expect text; the period is already checked.
        if self.required and value is None:
            raise ValidationError(self.error_messages["required"], code="required")

    def run_validators(self, value):
        pass

    def prepare_value(self, value):
        return value.isoformat() if isinstance(value, PartialDate) else value


class LineFeedTextField(forms.CharField):
    """Multi-line text with its line breaks as the archive stores them (``\\n``; text.unix_newlines).

    Browsers' text boxes send ``\\r\\n``: without this, an unchanged text would count
    as changed in the admin's log each time the page is saved.
    """

    def to_python(self, value):
        value = super().to_python(value)
        return unix_newlines(value) if isinstance(value, str) else value
