"""Text messages: the GOV.UK Notify gateway against a local server that answers as Notify does, the file gateway, numbers.

The Notify tests run the real ``notifications-python-client`` against a real HTTP server on
127.0.0.1: it checks the Bearer token is a JWT signed with the API key's secret and issued
by the key's service, as Notify does, and answers 201 with the notification's id.
"""

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO

import pytest
from django.utils import timezone
from notifications_python_client.authentication import decode_jwt_token, get_token_issuer

from referrals.choices import Channel, ContactRoute, DeliveryStatus, NotificationKind
from referrals.choices import ConnectionStatus as S
from factories.referrals import make_referral, make_resident, only_connection
from referrals.models import Notification
from referrals.notifications.delivery import deliver
from referrals.notifications.sms import (
    ConsoleSmsGateway,
    FailingSmsGateway,
    FileSmsGateway,
    InvalidMobileNumber,
    MemorySmsGateway,
    NotifySmsGateway,
    SmsGatewayError,
    SmsRejected,
    get_sms_gateway,
    is_uk_mobile,
    normalise_uk_mobile,
)
from tests.referrals.smtp import free_port

SERVICE_ID = str(uuid.uuid4())
SECRET = str(uuid.uuid4())
API_KEY = f"signpost_test-{SERVICE_ID}-{SECRET}"
TEMPLATE_ID = str(uuid.uuid4())


class FakeNotify:
    """The part of GOV.UK Notify's API that sends a text: POST /v2/notifications/sms."""

    def __init__(self):
        self.requests: list[dict] = []
        self.answer: tuple[int, dict] | None = None  # force an answer (status, JSON)
        notify = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's hook name
                length = int(self.headers.get("Content-Length", 0))
                payload = json.loads(self.rfile.read(length) or b"{}")
                status, body = notify.handle(self.path, self.headers.get("Authorization", ""), payload)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):  # quiet: the test output is not a request log
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def handle(self, path: str, authorization: str, payload: dict) -> tuple[int, dict]:
        if path != "/v2/notifications/sms":
            return 404, _errors(404, "BadRequestError", "Not found")
        scheme, _, token = authorization.partition(" ")
        try:
            if scheme != "Bearer" or get_token_issuer(token) != SERVICE_ID:
                raise ValueError("unknown service")
            decode_jwt_token(token, SECRET)
        except Exception:  # noqa: BLE001 - any bad token is Notify's 403
            return 403, _errors(403, "AuthError", "Invalid token: API key not found")
        self.requests.append({"payload": payload, "token": token})
        if self.answer is not None:
            return self.answer
        missing = [key for key in ("phone_number", "template_id") if not payload.get(key)]
        if missing:
            return 400, _errors(400, "ValidationError", f"{missing[0]} is a required property")
        if payload["template_id"] != TEMPLATE_ID:
            return 400, _errors(400, "BadRequestError", "Template not found")
        if not str(payload["phone_number"]).startswith(("+447", "07")):
            return 400, _errors(400, "ValidationError", "phone_number Not a UK mobile number")
        if "body" not in payload.get("personalisation", {}):
            return 400, _errors(400, "BadRequestError", "Missing personalisation: body")
        notification_id = str(uuid.uuid4())
        return 201, {
            "id": notification_id,
            "reference": payload.get("reference"),
            "content": {"body": payload["personalisation"]["body"], "from_number": "GOVUK"},
            "uri": f"{self.base_url}/v2/notifications/{notification_id}",
            "template": {"id": TEMPLATE_ID, "version": 1, "uri": f"{self.base_url}/v2/template/{TEMPLATE_ID}"},
        }

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def _errors(status: int, error: str, message: str) -> dict:
    return {"errors": [{"error": error, "message": message}], "status_code": status}


@pytest.fixture
def notify():
    server = FakeNotify().start()
    yield server
    server.stop()


def notify_gateway(notify, *, api_key=API_KEY) -> NotifySmsGateway:
    return NotifySmsGateway(api_key=api_key, template_id=TEMPLATE_ID, base_url=notify.base_url, timeout=5)


# GOV.UK Notify ---------------------------------------------------------------------------------


def test_notify_gateway_sends_a_text_and_returns_notifys_id(notify):
    reference = str(uuid.uuid4())
    gateway_id = notify_gateway(notify).send_text(to="07700 900123", body="Your first session is on Tue 5 Mar.",
                                                  reference=reference)

    [request] = notify.requests
    assert request["payload"] == {
        "phone_number": "+447700900123",
        "template_id": TEMPLATE_ID,
        "personalisation": {"body": "Your first session is on Tue 5 Mar."},
        "reference": reference,
    }
    assert uuid.UUID(gateway_id)
    assert get_token_issuer(request["token"]) == SERVICE_ID


def test_notify_gateway_with_the_wrong_key_is_refused_and_tried_again_later(notify):
    wrong_key = f"signpost_test-{SERVICE_ID}-{uuid.uuid4()}"
    with pytest.raises(SmsGatewayError) as refused:
        notify_gateway(notify, api_key=wrong_key).send_text(to="07700 900123", body="Hello", reference="r1")
    assert "403" in str(refused.value) and "AuthError" in str(refused.value)
    assert not refused.value.permanent  # a key can be fixed: the retries then go through
    assert notify.requests == []


def test_notify_refusing_a_text_is_permanent_and_the_error_names_no_number(notify):
    notify.answer = (400, _errors(400, "BadRequestError", "Can't send to this recipient using a team-only API key "
                                  "(07700 900123)"))
    with pytest.raises(SmsRejected) as rejected:
        notify_gateway(notify).send_text(to="07700 900123", body="Hello", reference="r2")
    assert rejected.value.permanent
    assert "team-only API key" in str(rejected.value)
    assert "900123" not in str(rejected.value)


@pytest.mark.parametrize("status", [429, 500, 503])
def test_notify_busy_or_down_is_tried_again_later(notify, status):
    notify.answer = (status, _errors(status, "RateLimitError" if status == 429 else "Exception", "Try later"))
    with pytest.raises(SmsGatewayError) as failed:
        notify_gateway(notify).send_text(to="07700 900123", body="Hello", reference="r3")
    assert not failed.value.permanent and str(status) in str(failed.value)


def test_notify_unreachable_is_tried_again_later():
    gateway = NotifySmsGateway(api_key=API_KEY, template_id=TEMPLATE_ID, base_url=f"http://127.0.0.1:{free_port()}",
                               timeout=2)
    with pytest.raises(SmsGatewayError) as failed:
        gateway.send_text(to="07700 900123", body="Hello", reference="r4")
    assert "Could not reach GOV.UK Notify" in str(failed.value) and not failed.value.permanent


def test_a_first_session_text_goes_through_notify_end_to_end(notify, settings, service, activity,
                                                            django_capture_on_commit_callbacks):
    settings.SIGNPOST_SMS = {
        "BACKEND": "referrals.notifications.sms.NotifySmsGateway",
        "OPTIONS": {"api_key": API_KEY, "template_id": TEMPLATE_ID, "base_url": notify.base_url},
    }
    assert isinstance(get_sms_gateway(), NotifySmsGateway)
    resident = make_resident(service=service, preferred_contact=ContactRoute.TEXT, phone="+44 7700 900654")
    with django_capture_on_commit_callbacks(execute=True):
        referral = make_referral(service=service, activity=activity, resident=resident, status=S.FIRST_SESSION_BOOKED)

    text = referral.notifications.get(kind=NotificationKind.FIRST_SESSION_FOR_RESIDENT)
    assert text.channel == Channel.TEXT and text.status == DeliveryStatus.SENT
    [request] = notify.requests
    assert request["payload"]["reference"] == str(text.pk)  # the notification's id: nothing personal
    assert request["payload"]["phone_number"] == "+447700900654"
    assert request["payload"]["personalisation"]["body"] == text.body
    assert text.gateway_reference and text.gateway_reference != str(text.pk)
    assert only_connection(referral).status == S.RESIDENT_NOTIFIED


# The demo's file gateway, the console, memory and failing gateways ------------------------------


def test_file_gateway_writes_one_file_per_text(tmp_path):
    folder = tmp_path / "sent-texts"
    gateway = FileSmsGateway(folder=folder)
    first = gateway.send_text(to="07700 900123", body="First text", reference="ref-1")
    second = gateway.send_text(to="+447700900456", body="Second text", reference="ref-2")

    assert sorted(p.name for p in folder.iterdir()) == sorted([first, second])
    content = (folder / first).read_text()
    assert content.startswith("To: +447700900123\nReference: ref-1\n")
    assert content.endswith("\n\nFirst text")
    assert "To: +447700900456" in (folder / second).read_text()


def test_file_gateway_is_the_default_and_uses_the_folder_from_settings(settings, tmp_path):
    settings.SIGNPOST_SMS = {"BACKEND": "referrals.notifications.sms.FileSmsGateway",
                             "OPTIONS": {"folder": str(tmp_path / "texts")}}
    name = get_sms_gateway().send_text(to="07700 900123", body="Hello", reference="ref")
    assert (tmp_path / "texts" / name).exists()


def test_console_gateway_prints_the_text():
    stream = StringIO()
    ConsoleSmsGateway(stream=stream).send_text(to="07700900123", body="Hello there", reference="ref-9")
    assert "+447700900123" in stream.getvalue() and "Hello there" in stream.getvalue() and "ref-9" in stream.getvalue()


def test_memory_gateway_keeps_the_texts(monkeypatch):
    monkeypatch.setattr(MemorySmsGateway, "sent", [])
    MemorySmsGateway().send_text(to="07700 900123", body="Hello", reference="ref")
    assert [(t["to"], t["body"], t["reference"]) for t in MemorySmsGateway.sent] == [("+447700900123", "Hello", "ref")]


def test_failing_gateway_always_fails():
    with pytest.raises(SmsGatewayError):
        FailingSmsGateway().send_text(to="07700 900123", body="Hello", reference="ref")


# UK mobile numbers -----------------------------------------------------------------------------


@pytest.mark.parametrize("number", [
    "07700 900123", "07700900123", "+44 7700 900123", "+447700900123", "+44 (0)7700 900123", "0044 7700 900123",
    "447700900123", "07700-900-123", "(07700) 900123",
])
def test_uk_mobile_numbers_are_accepted_in_the_ways_people_write_them(number):
    assert normalise_uk_mobile(number) == "+447700900123"
    assert is_uk_mobile(number)


def test_isle_of_man_mobiles_are_accepted():
    assert normalise_uk_mobile("07624 123456") == "+447624123456"


@pytest.mark.parametrize("number", [
    "01202 123456",  # a landline
    "020 7946 0018",  # a London landline
    "07000 123456",  # a personal number, not a mobile
    "07612 345678",  # a pager
    "07700 90012",  # too short
    "07700 9001234",  # too long
    "+1 202 555 0100",  # not in the UK
    "0800 123 4567",  # freephone
    "phone me",
    "",
])
def test_numbers_that_cannot_take_a_text_are_refused_clearly(number, tmp_path):
    with pytest.raises(InvalidMobileNumber) as refused:
        normalise_uk_mobile(number)
    assert str(refused.value) == "Enter a UK mobile number, like 07700 900 982."
    assert refused.value.permanent
    assert not is_uk_mobile(number)
    with pytest.raises(InvalidMobileNumber):
        FileSmsGateway(folder=tmp_path).send_text(to=number, body="Hello", reference="ref")
    assert list(tmp_path.iterdir()) == []


def test_notify_refuses_a_landline_before_calling_notify(notify):
    with pytest.raises(InvalidMobileNumber):
        notify_gateway(notify).send_text(to="01202 123456", body="Hello", reference="ref")
    assert notify.requests == []


def test_delivering_a_text_to_a_bad_number_fails_at_once(settings, service, activity, tmp_path):
    settings.SIGNPOST_SMS = {"BACKEND": "referrals.notifications.sms.FileSmsGateway",
                             "OPTIONS": {"folder": str(tmp_path)}}
    referral = make_referral(service=service, activity=activity)
    text = Notification.objects.create(referral=referral, kind=NotificationKind.SELF_REFERRAL_RECEIVED,
                                       channel=Channel.TEXT, recipient="020 7946 0018", subject="s", body="b",
                                       next_attempt_at=timezone.now())
    assert deliver(text.pk) == "failed"
    text.refresh_from_db()
    assert text.status == DeliveryStatus.FAILED and text.attempts == 1
    assert text.last_error == "InvalidMobileNumber: Enter a UK mobile number, like 07700 900 982."
    assert list(tmp_path.iterdir()) == []
