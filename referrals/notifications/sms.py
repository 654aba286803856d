"""Text messages, behind one interface: GOV.UK Notify in production, a folder for the demo, a failing one for tests.

Every gateway takes a UK mobile number (``07700 900123`` or ``+44 7700 900123``), the words,
and a reference with no personal data in it (the notification's id), and returns the
gateway's own id for the message. ``get_sms_gateway()`` builds the one named by
``settings.SIGNPOST_SMS`` (``BACKEND`` and ``OPTIONS``), as Django's cache framework does.

Errors carry a ``permanent`` flag: a number that is not a mobile will never work, so
``referrals.notifications.delivery`` gives up at once instead of retrying for hours.
"""

from __future__ import annotations

import re
import sys
import uuid
from pathlib import Path
from typing import TextIO

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string
from notifications_python_client.errors import HTTPError
from notifications_python_client.notifications import NotificationsAPIClient
from requests import RequestException


class SmsGatewayError(Exception):
    """The text was not sent. The message never contains the number or the words."""

    permanent = False


class SmsRejected(SmsGatewayError):
    """The gateway refused this text and will refuse it again (for example a number it cannot send to)."""

    permanent = True


class InvalidMobileNumber(SmsRejected, ValueError):
    safe_to_show = True  # the message never includes the number

    def __init__(self, message: str = "Enter a UK mobile number, like 07700 900 982."):
        super().__init__(message)


# UK mobiles: 071-075 and 077-079, and the Isle of Man's 07624. 070 (personal numbers) and
# 076 (pagers) look like mobiles but cannot receive texts.
_UK_MOBILE = re.compile(r"^7(?:[1-57-9]\d{8}|624\d{6})$")
_SEPARATORS = re.compile(r"[\s\-().]")


def normalise_uk_mobile(number: str) -> str:
    """``number`` as ``+447xxxxxxxxx``; ``InvalidMobileNumber`` if it is not a UK mobile number."""
    digits = _SEPARATORS.sub("", number or "")
    digits = digits.replace("+44(0)", "+44").replace("+440", "+44")
    for prefix in ("+44", "0044", "44", "0"):
        if digits.startswith(prefix):
            national = digits[len(prefix):]
            break
    else:
        raise InvalidMobileNumber()
    if not _UK_MOBILE.match(national):
        raise InvalidMobileNumber()
    return "+44" + national


def is_uk_mobile(number: str) -> bool:
    try:
        normalise_uk_mobile(number)
    except InvalidMobileNumber:
        return False
    return True


class SmsGateway:
    """Sends one text. Subclasses implement ``send_text``; it raises ``SmsGatewayError`` when it cannot."""

    def send_text(self, *, to: str, body: str, reference: str) -> str:
        """Send ``body`` to ``to``; return the gateway's id for the message. ``reference`` carries no personal data."""
        raise NotImplementedError


class NotifySmsGateway(SmsGateway):
    """GOV.UK Notify, through its own client library. The Notify template's whole text is ``((body))``.

    ``api_key`` is Notify's key as issued: ``{key_name}-{service_id}-{secret}``.
    """

    def __init__(self, *, api_key: str, template_id: str,
                 base_url: str = "https://api.notifications.service.gov.uk", timeout: float = 10):
        self.template_id = template_id
        self.client = NotificationsAPIClient(api_key, base_url=base_url, timeout=timeout)

    def send_text(self, *, to: str, body: str, reference: str) -> str:
        phone_number = normalise_uk_mobile(to)
        try:
            response = self.client.send_sms_notification(
                phone_number=phone_number, template_id=self.template_id,
                personalisation={"body": body}, reference=reference,
            )
        except HTTPError as error:
            raise _notify_error(error) from None
        except RequestException as error:
            raise SmsGatewayError(f"Could not reach GOV.UK Notify ({type(error).__name__})") from None
        return str(response["id"])


def _notify_error(error) -> SmsGatewayError:
    """Notify's answer as our error: a 400 will not get better by retrying; 403, 429 and 5xx may."""
    if getattr(error, "response", None) is None:  # the client's word for "no answer at all"
        return SmsGatewayError("Could not reach GOV.UK Notify (no response)")
    status = error.status_code
    detail = error.message
    if isinstance(detail, list):  # [{"error": "BadRequestError", "message": "..."}]
        detail = "; ".join(f"{item.get('error', '')}: {item.get('message', '')}" for item in detail
                           if isinstance(item, dict))
    # Notify's messages name the problem, not the person; digits are dropped all the same.
    detail = re.sub(r"\+?\d[\d ]{5,}\d", "[number]", str(detail))[:200]
    kind = SmsRejected if status == 400 else SmsGatewayError
    return kind(f"GOV.UK Notify answered {status}: {detail}")


class FileSmsGateway(SmsGateway):
    """Writes each text to a file in ``folder`` (the demo's "sent texts" folder), as Django's file email backend does.

    One file per text, named by the time and the reference; the number is inside, never in the name.
    """

    def __init__(self, *, folder: str | Path):
        self.folder = Path(folder)

    def send_text(self, *, to: str, body: str, reference: str) -> str:
        phone_number = normalise_uk_mobile(to)
        self.folder.mkdir(parents=True, exist_ok=True)
        now = timezone.now()
        name = f"{now:%Y%m%d-%H%M%S}-{reference or uuid.uuid4()}.txt"
        text = f"To: {phone_number}\nReference: {reference}\nDate: {now.isoformat()}\n\n{body}"
        # Written whole, then renamed: someone reading the folder never sees half a text.
        partial = self.folder / f".{name}.part"
        partial.write_text(text, encoding="utf-8")
        partial.replace(self.folder / name)
        return name


class ConsoleSmsGateway(SmsGateway):
    """Prints each text (for development)."""

    def __init__(self, *, stream: TextIO | None = None):
        self.stream = stream

    def send_text(self, *, to: str, body: str, reference: str) -> str:
        phone_number = normalise_uk_mobile(to)
        stream = self.stream or sys.stdout
        stream.write(f"Text message to {phone_number} (reference {reference}):\n{body}\n{'-' * 40}\n")
        stream.flush()
        return f"console-{uuid.uuid4()}"


class MemorySmsGateway(SmsGateway):
    """Keeps each text in ``MemorySmsGateway.sent`` (for tests), like Django's locmem email backend."""

    sent: list[dict] = []

    def __init__(self, **options):
        pass

    def send_text(self, *, to: str, body: str, reference: str) -> str:
        gateway_id = f"memory-{uuid.uuid4()}"
        MemorySmsGateway.sent.append(
            {"to": normalise_uk_mobile(to), "body": body, "reference": reference, "id": gateway_id}
        )
        return gateway_id


class FailingSmsGateway(SmsGateway):
    """Always fails, as a gateway that is down does: for tests of what happens then."""

    def __init__(self, **options):
        pass

    def send_text(self, *, to: str, body: str, reference: str) -> str:
        raise SmsGatewayError("The text message gateway is not available (FailingSmsGateway).")


def get_sms_gateway() -> SmsGateway:
    config = settings.SIGNPOST_SMS
    return import_string(config["BACKEND"])(**config.get("OPTIONS", {}))
