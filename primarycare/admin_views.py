"""Administrators' pages for primary care: loading the NHS's practice and PCN files, and the forms for a practice."""

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.generic import FormView
from wagtail.admin import messages
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.views.generic import WagtailAdminTemplateMixin

from directory.postcodes import PostcodeError, normalise_postcode
from primarycare.loading import LoadFileError, load_gp_practices, load_pcn_membership
from primarycare.permissions import may_load_practice_files

# The national practices file is a few megabytes; anything far bigger is not one of these files.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
NHSMAIL_DOMAIN = "nhs.net"


# A practice's form ------------------------------------------------------------------------------


class GpPracticeForm(WagtailAdminModelForm):
    """Tidies what an administrator types: the code and postcode in capitals, the address in small letters."""

    def clean_ods_code(self):
        code = "".join(self.cleaned_data["ods_code"].split()).upper()
        if not code:
            raise ValidationError("Enter the practice's ODS code, like J81001.")
        return code

    def clean_postcode(self):
        postcode = self.cleaned_data.get("postcode", "")
        if not postcode.strip():
            return ""
        try:
            return normalise_postcode(postcode)
        except PostcodeError as error:
            raise ValidationError(str(error)) from error

    def clean_nhsmail(self):
        return self.cleaned_data.get("nhsmail", "").strip().lower()


def nhsmail_warning(practice) -> str | None:
    """A word when the address is not NHSmail: accepted (a practice may use another secure address), but checked."""
    if practice.nhsmail and not practice.nhsmail.endswith("@" + NHSMAIL_DOMAIN):
        return (
            f"{practice.nhsmail} is not an NHSmail ({NHSMAIL_DOMAIN}) address. Summaries about patients will be "
            "emailed there: check with the practice that it is their secure address."
        )
    return None


class NhsmailWarning:
    """After saving a practice, warn when its address is not an nhs.net one."""

    def form_valid(self, form):
        response = super().form_valid(form)
        warning = nhsmail_warning(self.object)
        if warning and not getattr(self, "expects_json_response", False):
            messages.warning(self.request, warning)
        return response


# Loading the NHS's files -------------------------------------------------------------------------


class PracticeFilesForm(forms.Form):
    practices = forms.FileField(
        label="GP practices file",
        required=False,
        help_text="The NHS's ODS file of GP practices, epraccur.csv (unzip epraccur.zip first).",
    )
    membership = forms.FileField(
        label="PCN membership file",
        required=False,
        help_text="The “PCN Core Partner Details” sheet of the NHS's ePCN workbook, saved as CSV. "
        "It is loaded after the practices file.",
    )

    def clean(self):
        cleaned = super().clean()
        chosen = [name for name in ("practices", "membership") if cleaned.get(name)]
        if not chosen and not self.errors:
            raise ValidationError("Choose a GP practices file, a PCN membership file, or both.")
        for name in chosen:
            if cleaned[name].size > MAX_UPLOAD_BYTES:
                self.add_error(name, "This file is larger than 20 MB: it is not one of the NHS's practice files.")
        return cleaned


class PracticeFilesUploadView(WagtailAdminTemplateMixin, FormView):
    """Load the practices and PCN membership files, as the commands do; both in one transaction."""

    form_class = PracticeFilesForm
    template_name = "primarycare/admin/load_files.html"
    page_title = "Load practices from NHS files"
    header_icon = "upload"

    def dispatch(self, request, *args, **kwargs):
        if not may_load_practice_files(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse("wagtailsnippets_primarycare_gppractice:list"), "label": "GP practices"},
            {"url": "", "label": self.page_title},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            action_url=reverse("primarycare_load_files"),
            submit_button_label="Load the files",
            submit_button_active_label="Loading…",
            form_is_multipart=True,
        )
        return context

    def form_valid(self, form):
        loads = (("practices", load_gp_practices), ("membership", load_pcn_membership))
        results = []
        field = None
        try:
            # One transaction: a whole-file problem with the second file undoes the first as well.
            with transaction.atomic():
                for field, load in loads:
                    if form.cleaned_data.get(field):
                        results.append(load(form.cleaned_data[field]))
        except LoadFileError as error:
            form.add_error(field, f"{error} Nothing was saved.")
            return self.form_invalid(form)
        refused = sum(len(result.refused) for result in results)
        if refused:
            messages.warning(self.request, f"Loaded, except {refused} row{'s' if refused != 1 else ''}: see below.")
        else:
            messages.success(self.request, "Loaded.")
        return TemplateResponse(
            self.request,
            self.template_name,
            self.get_context_data(form=self.form_class(), results=[result.summary_lines() for result in results]),
        )

    def form_invalid(self, form):
        messages.validation_error(self.request, "Nothing was loaded. Check the errors below.", form)
        return super().form_invalid(form)
