"""Checks on what people type about a resident."""

import re

from django.core.exceptions import ValidationError
from django.db import models


def normalise_nhs_number(value: str) -> str:
    """Digits only: people write NHS numbers as '943 476 5919' or '943-476-5919'."""
    return re.sub(r"[\s-]", "", value or "")


def validate_nhs_number(value: str) -> None:
    """A 10-digit NHS number whose last digit is its modulus-11 check digit."""
    digits = normalise_nhs_number(value)
    if not digits:
        return
    if not re.fullmatch(r"\d{10}", digits):
        raise ValidationError("Enter an NHS number with 10 digits, like 943 476 5919.", code="nhs_number_format")
    total = sum(int(digit) * weight for digit, weight in zip(digits[:9], range(10, 1, -1)))
    check = 11 - total % 11
    if check == 11:
        check = 0
    if check == 10 or check != int(digits[9]):
        raise ValidationError(
            "This is not a valid NHS number. Check each digit, or leave it blank if you do not know it.",
            code="nhs_number_check_digit",
        )


class NHSNumberField(models.CharField):
    """An NHS number, kept as its 10 digits whatever way it was typed, and checked (modulus 11).

    Every way in (forms, the API, imports, ``Model.full_clean`` and plain ``save``) stores the same
    digits, so one person's number always matches itself.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 10)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("validators", [validate_nhs_number])
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("validators", None)
        return name, path, args, kwargs

    def to_python(self, value):
        return normalise_nhs_number(super().to_python(value))

    def pre_save(self, model_instance, add):
        value = normalise_nhs_number(getattr(model_instance, self.attname))
        setattr(model_instance, self.attname, value)
        return value

    def formfield(self, **kwargs):
        # Room for the spaces or dashes people type ("943 476 5919"); the digits are checked on cleaning.
        return super().formfield(**{"max_length": 13, **kwargs})
