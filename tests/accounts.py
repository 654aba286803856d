"""Signing in, in tests, as a person who has proved their second factor (as everyone who signs in must)."""

from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice


def sign_in_verified(client, user):
    """``client.force_login(user)``, then the session marked verified by a confirmed TOTP device."""
    client.force_login(user)
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="Phone", defaults={"confirmed": True})
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


def current_code(device: TOTPDevice) -> str:
    """The code ``device``'s authenticator app shows now."""
    device.refresh_from_db()
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift):06d}"


def sign_in_with_password_and_code(client, user, password: str) -> TOTPDevice:
    """Sign in as a person does: the password on the sign-in page, then the app's code."""
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="Phone", defaults={"confirmed": True})
    assert client.post("/admin/login/", {"username": user.get_username(), "password": password}).status_code == 302
    assert client.post("/account/two-factor/", {"code": current_code(device)}).status_code == 302
    return device
