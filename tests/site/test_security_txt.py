"""Issue 16: how to report a vulnerability is published where researchers look (RFC 9116)."""

from datetime import datetime, timedelta, timezone


def test_security_txt_names_the_contact_and_is_valid_for_a_year(client, db, settings):
    settings.SECURITY_CONTACT = "mailto:security@council.example"
    response = client.get("/.well-known/security.txt")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    fields = dict(line.split(": ", 1) for line in response.content.decode().splitlines())
    assert fields["Contact"] == "mailto:security@council.example"
    expires = datetime.strptime(fields["Expires"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    assert timedelta(days=364) < expires - datetime.now(timezone.utc) <= timedelta(days=365)
    assert fields["Canonical"] == "http://testserver/.well-known/security.txt"
