"""Indexes for listing the public directory at scale (the ORUK API's /services and
/service_at_locations at 50,000 activities): the active activities' ids, and the live pages' ids.

The second is on Wagtail's page table, where ``live`` is: with both, counting and paging the
publicly listed activities merges two index-only scans instead of joining the two tables.
"""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('directory', '0003_harvesting'),
        migrations.swappable_dependency(settings.WAGTAIL_PAGE_MODEL),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS directory_live_page_ids ON wagtailcore_page (id) WHERE live",
            reverse_sql="DROP INDEX IF EXISTS directory_live_page_ids",
        ),
        migrations.AddIndex(
            model_name='activitypage',
            index=models.Index(condition=models.Q(('status', 'active')), fields=['page_ptr'], include=('last_reviewed',), name='activity_active_ids'),
        ),
    ]
