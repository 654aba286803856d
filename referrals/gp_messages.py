"""The message back to the GP practice (PRSB Social Prescribing standard, "message back to GP and referrer").

Built from the record when the referral is accepted (if the service acknowledges to practices) and
from the final discharge summary at discharge; kept as sent (``GpMessage``) and delivered through
the outbox: an email with the summary as a PDF to the practice's NHSmail address, or a letter to
print when the practice has none. The API serves the same content as JSON and as a FHIR document.
"""

from __future__ import annotations


def send_acknowledgement(referral, *, actor) -> None:
    """Called inside the triage step's transaction. (Being built: primary care issue, item 4.)"""


def send_discharge_message(referral, *, actor) -> None:
    """Called inside the discharge step's transaction, after the summary is final. (Being built.)"""
