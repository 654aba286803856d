from django.apps import AppConfig


class ReportingConfig(AppConfig):
    """Commissioners' reports: figures, gaps in provision, suppression and exports, read from referrals and the directory."""

    name = "reporting"
    verbose_name = "Reporting"

    def ready(self):
        # The store of figures forgets what a change to a referral's record could move (signal receivers).
        from reporting import corrections

        corrections.connect()
