from django.apps import AppConfig


class ReportingConfig(AppConfig):
    """Commissioners' reports: figures, gaps in provision, suppression and exports, read from referrals and the directory."""

    name = "reporting"
    verbose_name = "Reporting"

    def ready(self):
        # The store of closed periods' figures forgets what a correction could move (signal receivers).
        from reporting import stored

        stored.connect()
