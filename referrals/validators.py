"""Checks on what people type about a resident."""

import re

from django.core.exceptions import ValidationError


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
