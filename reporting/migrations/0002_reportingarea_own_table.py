# The second half of ReportingArea's move from referrals: its table renamed (rows kept) and its
# content type relabelled, so the snippet's permissions, revisions and log entries follow it.
from django.db import migrations


def relabel_content_type(apps, schema_editor, *, old: str, new: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label=new, model="reportingarea").exists():
        ContentType.objects.filter(app_label=old, model="reportingarea").update(app_label=new)


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("reporting", "0001_initial"),
        ("referrals", "0005_reportingarea_moves_to_reporting"),
    ]

    operations = [
        migrations.AlterModelTable(name="reportingarea", table=None),
        migrations.RunPython(
            lambda apps, editor: relabel_content_type(apps, editor, old="referrals", new="reporting"),
            lambda apps, editor: relabel_content_type(apps, editor, old="reporting", new="referrals"),
        ),
    ]
