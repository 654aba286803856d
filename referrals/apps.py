from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = "Referrals"

    def ready(self):
        # Here, not at the top: the handlers import models, which Django loads after this module.
        from referrals import accounts, signal_handlers

        signal_handlers.connect()
        accounts.connect()
