"""The load test's plain helpers: the code an authenticator shows, and the links a provider's email carries."""

from django.core import mail
from django.core.mail.backends.filebased import EmailBackend
from django_otp.oath import TOTP

from benchmarks.load.helpers import (
    accept_links,
    claim_email_file,
    csrf_token,
    percentile,
    referral_choices,
    totp_code,
)

KEY = "3132333435363738393031323334353637383930"  # RFC 6238's test key ("12345678901234567890")


def test_the_code_is_the_one_django_otp_accepts():
    for at in (59, 1111111109, 2000000000):
        device = TOTP(bytes.fromhex(KEY))
        device.time = at
        assert totp_code(KEY, at=at) == f"{device.token():06d}"
    # RFC 6238 appendix B (SHA-1; the 8-digit codes' last 6 digits).
    assert totp_code(KEY, at=59) == "287082"
    assert totp_code(KEY, at=1111111109) == "081804"


def test_accept_links_are_read_from_the_files_the_email_backend_writes(tmp_path):
    backend = EmailBackend(file_path=str(tmp_path))
    body = (
        "New referral SP-1 for Walking group\n\n"
        "To accept the referral: http://127.0.0.1:8000/referrals/provider/link/abc:def/\n\n"
        "To decline it: http://127.0.0.1:8000/referrals/provider/link/xyz:uvw/\n"
    )
    backend.send_messages([
        mail.EmailMessage("New referral", body, "from@example.org", ["provider@example.org"]),
        mail.EmailMessage("Something else", "No links here.", "from@example.org", ["other@example.org"]),
    ])
    claimed = claim_email_file(tmp_path)
    assert claimed is not None and claim_email_file(tmp_path) is None  # taken once, by one simulated provider
    assert accept_links(claimed.read_text()) == ["/referrals/provider/link/abc:def/"]


def test_forms_are_read_from_the_html():
    html = ('<form><input type="hidden" name="csrfmiddlewaretoken" value="tok3n">'
            '<input class="nhsuk-radios__input" type="radio" name="referral" value="12">'
            '<input type="radio" name="referral" id="r2" value="15"></form>')
    assert csrf_token(html) == "tok3n"
    assert referral_choices(html) == ["12", "15"]


def test_percentiles_as_locust_computes_them():
    histogram = {10: 90, 100: 6, 1000: 4}
    assert percentile(histogram, 0.5) == 10
    assert percentile(histogram, 0.95) == 100
    assert percentile(histogram, 0.99) == 1000
    assert percentile({}, 0.95) == 0
