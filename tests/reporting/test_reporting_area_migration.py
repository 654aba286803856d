"""ReportingArea moved from referrals to reporting: its rows and its content type come with it."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("referrals", "0004_idempotent_requests"), ("reporting", None)]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state([target for target in targets if target[1]]).apps


# Serialised rollback, as every transactional test here: the flush afterwards then leaves the tables
# empty for the next one to restore, instead of refilling content types that it would restore again.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_reporting_areas_made_before_the_move_are_kept_with_their_ids_and_content_type():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    old = _migrate(BEFORE)
    area = old.get_model("referrals", "ReportingArea").objects.create(name="Poole North PCN", postcode_prefixes="BH12, BH17")
    content_type = old.get_model("contenttypes", "ContentType").objects.get_or_create(app_label="referrals", model="reportingarea")[0]

    new = _migrate(latest)

    moved = new.get_model("reporting", "ReportingArea").objects.get()
    assert (moved.pk, moved.name, moved.postcode_prefixes) == (area.pk, "Poole North PCN", "BH12, BH17")
    assert "reporting_reportingarea" in connection.introspection.table_names()
    assert "referrals_reportingarea" not in connection.introspection.table_names()
    relabelled = new.get_model("contenttypes", "ContentType").objects.get(pk=content_type.pk)
    assert (relabelled.app_label, relabelled.model) == ("reporting", "reportingarea")
