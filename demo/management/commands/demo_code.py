"""`manage.py demo_code <username>`: the current two-factor code of a demo user, for trying the demo.

Only with DEBUG on, and only for the demo authenticator ``load_demo`` gave the user (its key
is fixed and public, see ``demo.referrals.demo_totp_key``): never a real person's device.
"""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from demo.referrals import DEMO_DEVICE_NAME, demo_totp_key


class Command(BaseCommand):
    help = "Print the current two-factor code of a demo user (DEBUG only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="A demo user with a demo authenticator, e.g. linkworker.")

    def handle(self, *args, username: str, **options) -> None:
        if not settings.DEBUG:
            raise CommandError("demo_code only runs with DEBUG on: it is for the demo, never a live site.")
        device = TOTPDevice.objects.filter(
            user__username=username, name=DEMO_DEVICE_NAME, key=demo_totp_key(username), confirmed=True
        ).first()
        if device is None:
            raise CommandError(f"{username} has no demo authenticator. Run `manage.py load_demo` first.")
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        now = time.time()
        totp.time = now
        seconds_left = device.step - int(now - device.t0) % device.step
        self.stdout.write(f"{totp.token():0{device.digits}d}")
        self.stderr.write(
            f"The code for {username} works for about {seconds_left} more seconds, and only once."
        )
