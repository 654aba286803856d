"""One record per person within a service: NHS numbers stored as their 10 digits, and the records
a service made twice for one NHS number joined into the oldest, before the constraint holds it.

Each record joined points at the one kept (``merged_into``), hands it its referrals and consents,
fills what the kept record lacked, and keeps no personal data of its own.
"""

import re

from django.db import migrations, models
from django.utils import timezone

_PERSONAL = ["first_name", "last_name", "address", "postcode", "phone", "email", "accessibility_needs",
             "gp_practice", "nhs_number"]


def join_duplicates(apps, schema_editor):
    Resident = apps.get_model("referrals", "Resident")
    Referral = apps.get_model("referrals", "Referral")
    Consent = apps.get_model("referrals", "Consent")
    for resident in Resident.objects.exclude(nhs_number="").only("pk", "nhs_number").iterator():
        digits = re.sub(r"[\s-]", "", resident.nhs_number)
        if digits != resident.nhs_number:
            Resident.objects.filter(pk=resident.pk).update(nhs_number=digits)
    groups = (
        Resident.objects.exclude(nhs_number="").filter(merged_into__isnull=True)
        .values("service_id", "nhs_number").annotate(n=models.Count("pk")).filter(n__gt=1)
    )
    now = timezone.now()
    for group in list(groups):
        records = list(Resident.objects.filter(
            service_id=group["service_id"], nhs_number=group["nhs_number"], merged_into__isnull=True
        ).order_by("created_at", "pk"))
        kept, others = records[0], records[1:]
        for other in others:
            for field in [*_PERSONAL, "date_of_birth", "practice_id"]:
                if not getattr(kept, field) and getattr(other, field):
                    setattr(kept, field, getattr(other, field))
            Referral.objects.filter(resident_id=other.pk).update(resident_id=kept.pk)
            Consent.objects.filter(resident_id=other.pk).update(resident_id=kept.pk)
            for field in _PERSONAL:
                setattr(other, field, "")
            other.date_of_birth = None
            other.merged_into_id, other.merged_at = kept.pk, now
            other.save()
        kept.save()


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0011_primary_care"),
    ]

    operations = [
        migrations.RunPython(join_duplicates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="resident",
            constraint=models.UniqueConstraint(
                condition=models.Q(models.Q(("nhs_number", ""), _negated=True), ("merged_into__isnull", True)),
                fields=("service", "nhs_number"),
                name="one_record_per_nhs_number_in_a_service",
                violation_error_message="The service already has a record with this NHS number.",
            ),
        ),
    ]
