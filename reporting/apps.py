from django.apps import AppConfig


class ReportingConfig(AppConfig):
    """Commissioners' reports: figures, gaps in provision, suppression and exports, read from referrals and the directory."""

    name = "reporting"
    verbose_name = "Reporting"
