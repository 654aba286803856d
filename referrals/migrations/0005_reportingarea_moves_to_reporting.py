# ReportingArea now belongs to the reporting app (see reporting/migrations/0001 and 0002):
# removed from referrals' state only; the table and its rows stay and are renamed there.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0004_idempotent_requests"),
        ("reporting", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ReportingArea")],
            database_operations=[],
        ),
    ]
