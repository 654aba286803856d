# pg_trgm lets the database backend find misspelt words on PostgreSQL (a no-op on SQLite).
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = []
    operations = [TrigramExtension()]
