"""The listing editor in a volunteer's words, and the moderator's comparison showing real changes.

Wagtail's own extension points only: widgets and panels given on the models' panels, comparison
classes registered for field types (``directory.wagtail_hooks``), and the page action menu's hook.

- ``GroupedNeedsWidget``: the needs as checkboxes in one fieldset per top-level need, each
  group's own term first, then its sub-needs by name.
- ``FIVE_MINUTE_TIME``: the browser's own time input, in 5-minute steps (Wagtail's time picker
  lists whole hours), which works by keyboard and without JavaScript.
- ``UKDateInput``: dates shown and typed as 11/08/2026, whatever the admin language's formats.
- ``SessionTimesPanel``: a session's start and end times, compared as one "10:30 – 11:00".
- ``EditorRichTextComparison``, ``TimeComparison``, ``DateComparison``: compare what the editor
  would see, so a value saved in another (equivalent) form is not reported as changed.
"""

import functools
import re
from datetime import date, time

from django import forms
from django.core.exceptions import ValidationError
from django.utils.dateformat import format as format_date
from django.utils.html import format_html
from wagtail.admin import compare
from wagtail.admin.panels import FieldRowPanel
from wagtail.admin.widgets import AdminDateInput

# --- Needs -------------------------------------------------------------------------------------


class GroupedNeedsWidget(forms.CheckboxSelectMultiple):
    """Checkboxes for the needs, one fieldset (with its legend) per top-level need.

    The field's choices are the needs in name order ("Learning › Adult courses", "Mental
    wellbeing › Anxiety…"), which scatters each area's items; here each sits under its area.
    A top-level need can be chosen itself ("…, in general"), first in its group.
    """

    template_name = "directory/widgets/grouped_needs.html"

    @property
    def media(self):
        return forms.Media(css={"all": ["css/admin_editor.css"]})  # the groups in columns where there is room

    def optgroups(self, name, value, attrs=None):
        # The field's own model (directory.models.NeedTerm), read in one query for every term's parent.
        model = self.choices.queryset.model
        chosen = {str(v) for v in value}
        terms = {
            pk: (parent_id, term_name)
            for pk, parent_id, term_name in model._default_manager.values_list("pk", "parent_id", "name")
        }

        def top_of(pk):
            seen = set()
            while terms.get(pk, (None, ""))[0] is not None and pk not in seen:
                seen.add(pk)
                pk = terms[pk][0]
            return pk

        groups: dict[int, list[tuple[bool, str, object]]] = {}
        for option_value, _label in self.choices:
            if option_value in ("", None):
                continue
            pk = int(str(option_value))
            if pk not in terms:
                continue
            top = top_of(pk)
            groups.setdefault(top, []).append((pk != top, terms[pk][1], option_value))

        result = []
        index = 0
        for top in sorted(groups, key=lambda pk: terms[pk][1].casefold()):
            options = []
            for is_child, term_name, option_value in sorted(groups[top], key=lambda item: (item[0], item[1].casefold())):
                label = term_name if is_child else f"{term_name}, in general"
                options.append(
                    self.create_option(name, option_value, label, str(option_value) in chosen, index, attrs=attrs)
                )
                index += 1
            result.append((terms[top][1], options, len(result)))
        return result


# --- Times and dates ---------------------------------------------------------------------------

#: The browser's time input in 5-minute steps (``step`` is in seconds), shown as 10:30.
FIVE_MINUTE_TIME = forms.TimeInput(attrs={"type": "time", "step": 300}, format="%H:%M")

UK_DATE_FORMAT = "%d/%m/%Y"
_UK_DATE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")


class UKDateInput(AdminDateInput):
    """Wagtail's date picker showing and reading dates as 11/08/2026 (day first).

    A typed UK date is handed to the form field as ISO (2026-08-11), which every language's
    formats parse, so the day is never read as the month.
    """

    def __init__(self, attrs=None):
        super().__init__(attrs={"placeholder": "dd/mm/yyyy", **(attrs or {})}, format=UK_DATE_FORMAT)

    def value_from_datadict(self, data, files, name):
        value = super().value_from_datadict(data, files, name)
        match = _UK_DATE.match(value) if isinstance(value, str) else None
        if match:
            day, month, year = match.groups()
            return f"{int(year):04d}-{int(month):02d}-{int(day):02d}"
        return value


# --- The moderator's comparison ----------------------------------------------------------------


def _changed_html(before: str, after: str):
    return format_html(
        '<span class="deletion">{}</span> <span aria-hidden="true">→</span>'
        '<span class="w-sr-only">, now</span> <span class="addition">{}</span>',
        before,
        after,
    )


def _field_value(field, obj):
    """A field's value as the model holds it: a revision's child objects keep times and dates
    as the strings they were serialised to ("10:30:00"), the live page's as ``time``/``date``."""
    if obj is None:
        return None
    value = field.value_from_object(obj)
    if value in (None, ""):
        return None
    try:
        return field.to_python(value)
    except ValidationError:
        return value


def show_time(value) -> str:
    return value.strftime("%H:%M") if isinstance(value, time) else ("" if value is None else str(value))


def show_date(value) -> str:
    return format_date(value, "j F Y") if isinstance(value, date) else ("Not given" if value is None else str(value))


class _ValueComparison(compare.FieldComparison):
    """Compare parsed values and show them as an editor writes them, the change as "old → new"."""

    def __init__(self, field, obj_a, obj_b):
        self.field = field
        self.val_a = _field_value(field, obj_a)
        self.val_b = _field_value(field, obj_b)

    def show(self, value) -> str:
        raise NotImplementedError

    def htmldiff(self):
        if self.has_changed():
            return _changed_html(self.show(self.val_a), self.show(self.val_b))
        return format_html("{}", self.show(self.val_a))


class TimeComparison(_ValueComparison):
    def show(self, value) -> str:
        return show_time(value) or "Not given"


class DateComparison(_ValueComparison):
    def show(self, value) -> str:
        return show_date(value)


class SessionTimesComparison:
    """A session's start and end, compared together: "10:30 – 11:00"."""

    is_field = True
    is_child_relation = False

    def __init__(self, start_field, end_field, obj_a, obj_b):
        self.start_a, self.end_a = _field_value(start_field, obj_a), _field_value(end_field, obj_a)
        self.start_b, self.end_b = _field_value(start_field, obj_b), _field_value(end_field, obj_b)

    def field_label(self):
        return "Time"

    @staticmethod
    def show(start, end) -> str:
        return f"{show_time(start) or '?'} – {show_time(end) or '?'}"

    def has_changed(self):
        return (self.start_a, self.end_a) != (self.start_b, self.end_b)

    def htmldiff(self):
        before, after = self.show(self.start_a, self.end_a), self.show(self.start_b, self.end_b)
        return _changed_html(before, after) if self.has_changed() else format_html("{}", after)


class SessionTimesPanel(FieldRowPanel):
    """The start and end time side by side; in the comparison, one "Time" row per session."""

    def __init__(self, start="start_time", end="end_time", **kwargs):
        from wagtail.admin.panels import FieldPanel

        self.start, self.end = start, end
        super().__init__(
            [FieldPanel(start, widget=FIVE_MINUTE_TIME), FieldPanel(end, widget=FIVE_MINUTE_TIME)], **kwargs
        )

    def clone_kwargs(self):
        kwargs = super().clone_kwargs()
        kwargs.pop("children", None)
        return {**kwargs, "start": self.start, "end": self.end}

    class BoundPanel(FieldRowPanel.BoundPanel):
        def get_comparison(self):
            model = self.panel.model
            start, end = model._meta.get_field(self.panel.start), model._meta.get_field(self.panel.end)
            return [functools.partial(SessionTimesComparison, start, end)]


_BLOCK_KEY = re.compile(r'\s+data-block-key="[^"]*"')


class EditorRichTextComparison(compare.RichTextFieldComparison):
    """Rich text compared as the editor holds it.

    A description saved by an import, the demo or an earlier version ("<p>…</p>\\n<ul>…") is
    stored as written; once it goes through the editor it comes back in the editor's own
    form ("<p data-block-key="…">…</p><ul>…"). Compared as stored, every first edit marked the unchanged
    description as changed. Both sides are put through the editor's converter first.
    """

    def __init__(self, field, obj_a, obj_b):
        super().__init__(field, obj_a, obj_b)
        self.val_a, self.val_b = self._normalise(self.val_a), self._normalise(self.val_b)

    def _normalise(self, html):
        if not html:
            return html or ""
        converter = getattr(self.field.formfield().widget, "converter", None)
        if converter is None:
            return html
        try:
            html = converter.to_database_format(converter.from_database_format(html))
        except Exception:  # noqa: BLE001 - a value the editor cannot read is compared as stored
            return html
        # The editor keys each block with a random id it keeps from then on; a value saved
        # before the editor saw it has none, and each reading gives it new ones.
        return _BLOCK_KEY.sub("", html)
