"""The rows of a report table, written in Python: the gaps table alone can hold hundreds of
districts and needs, and its thousands of cells through the template engine took 0.26 s, a sixth
of the dashboard's time at 100,000 referrals."""

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_HEADER = '<th class="nhsuk-table__header" scope="row">{}</th>'
_CELL = '<td class="nhsuk-table__cell">{}</td>'
_FIGURE = '<td class="nhsuk-table__cell nhsuk-table__cell--numeric">{}</td>'


@register.simple_tag
def table_rows(shown: dict) -> SafeString:
    """{% table_rows shown %}: a ``views._shown`` table's body rows, each cell escaped; the first cell heads its row."""
    return format_html_join("\n", '<tr class="nhsuk-table__row">{}</tr>', (
        (mark_safe("".join(
            format_html(_HEADER if index == 0 else _FIGURE if numeric else _CELL, cell)
            for index, (cell, numeric) in enumerate(row)
        )),)
        for row in shown["rows"]
    ))
