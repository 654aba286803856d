"""Render Django form fields with the NHS.UK frontend's classes and accessible descriptions."""

from django import forms, template

register = template.Library()

_CLASSES = {
    forms.Select: "nhsuk-select",
    forms.SelectMultiple: "nhsuk-select",
    forms.Textarea: "nhsuk-textarea",
    forms.CheckboxInput: "nhsuk-checkboxes__input",
    forms.RadioSelect: "",
    forms.CheckboxSelectMultiple: "",
}


def _css_class(widget) -> str:
    for widget_type, css_class in _CLASSES.items():
        if isinstance(widget, widget_type):
            return css_class
    return "nhsuk-input"


@register.simple_tag
def nhsuk_widget(field, extra_class="", form_id=""):
    """The field's widget, linked to its hint and error message by ``aria-describedby``; with
    ``form_id``, owned by that form though placed outside it (HTML's ``form`` attribute)."""
    widget = field.field.widget
    css = " ".join(filter(None, [_css_class(widget), extra_class]))
    if field.errors and css.startswith(("nhsuk-input", "nhsuk-select", "nhsuk-textarea")):
        css += f" {css.split()[0]}--error"
    described_by = []
    if field.help_text:
        described_by.append(f"{field.id_for_label}-hint")
    if field.errors:
        described_by.append(f"{field.id_for_label}-error")
    attrs = {"class": css}
    if form_id:
        attrs["form"] = form_id
    if described_by:
        attrs["aria-describedby"] = " ".join(described_by)
    return field.as_widget(attrs=attrs)


@register.filter
def is_checkbox(field) -> bool:
    return isinstance(field.field.widget, forms.CheckboxInput)
