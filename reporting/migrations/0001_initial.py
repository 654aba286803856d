# ReportingArea moves here from referrals. Its table (referrals_reportingarea) already exists, so
# this migration only records the model in reporting's state; 0002 then renames the table and
# moves its content type, keeping every row and every permission.
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("referrals", "0004_idempotent_requests"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ReportingArea",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("name", models.CharField(max_length=255, unique=True)),
                        (
                            "postcode_prefixes",
                            models.CharField(
                                help_text="Comma-separated postcode districts or areas, e.g. 'BH12, BH13, BH14'.",
                                max_length=1000,
                            ),
                        ),
                    ],
                    options={"ordering": ["name"], "db_table": "referrals_reportingarea"},
                ),
            ],
            database_operations=[],
        ),
    ]
