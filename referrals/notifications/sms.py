"""Text messages, behind one interface: GOV.UK Notify in production, a folder for the demo, a failing one for tests."""

from django.conf import settings
from django.utils.module_loading import import_string


class SmsGateway:
    def send_text(self, *, to: str, body: str, reference: str) -> str:
        """Send ``body`` to ``to``; return the gateway's id for the message. ``reference`` carries no personal data."""
        raise NotImplementedError


def get_sms_gateway() -> SmsGateway:
    config = settings.SIGNPOST_SMS
    return import_string(config["BACKEND"])(**config.get("OPTIONS", {}))
