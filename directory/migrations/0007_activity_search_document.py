"""The activity's full-text document, stored (PostgreSQL only).

The database search matched and ranked words against a document built from the title, summary,
conditions, description and service areas for every candidate row of every search: in a city, most
of a text search's time. The document is now a column PostgreSQL keeps in step itself, on every
write, bulk imports and Wagtail publishing alike: a trigger on the activity's row, and one on the
page's title. The search reads it (``search.backends.database``), with the same weights, so ranks
are unchanged. Django does not model the column: it is the database's index of the row, not part of
the listing (and so not in Wagtail's revisions).
"""

from django.db import migrations

DOCUMENT = """
CREATE FUNCTION directory_activity_document(title text, summary text, conditions text, description text,
                                            service_areas text) RETURNS tsvector
LANGUAGE sql IMMUTABLE AS $$
    SELECT setweight(to_tsvector('english'::regconfig, COALESCE(title, '')), 'A')
        || setweight(to_tsvector('english'::regconfig, COALESCE(summary, '')), 'B')
        || setweight(to_tsvector('english'::regconfig, COALESCE(conditions, '')), 'B')
        || setweight(to_tsvector('english'::regconfig, COALESCE(description, '')), 'C')
        || setweight(to_tsvector('english'::regconfig, COALESCE(service_areas, '')), 'C')
$$;

ALTER TABLE directory_activitypage ADD COLUMN search_document tsvector;

CREATE FUNCTION directory_activity_search_document() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_document := directory_activity_document(
        (SELECT title FROM wagtailcore_page WHERE id = NEW.page_ptr_id),
        NEW.summary, NEW.conditions, NEW.description, NEW.service_areas);
    RETURN NEW;
END $$;

CREATE TRIGGER directory_activity_search_document
BEFORE INSERT OR UPDATE OF page_ptr_id, summary, conditions, description, service_areas ON directory_activitypage
FOR EACH ROW EXECUTE FUNCTION directory_activity_search_document();

CREATE FUNCTION directory_page_title_search_document() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE directory_activitypage
       SET search_document = directory_activity_document(NEW.title, summary, conditions, description, service_areas)
     WHERE page_ptr_id = NEW.id;
    RETURN NULL;
END $$;

CREATE TRIGGER directory_page_title_search_document
AFTER UPDATE OF title ON wagtailcore_page
FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title)
EXECUTE FUNCTION directory_page_title_search_document();

UPDATE directory_activitypage AS a
   SET search_document = directory_activity_document(p.title, a.summary, a.conditions, a.description, a.service_areas)
  FROM wagtailcore_page AS p
 WHERE p.id = a.page_ptr_id;
"""

NO_DOCUMENT = """
DROP TRIGGER IF EXISTS directory_page_title_search_document ON wagtailcore_page;
DROP FUNCTION IF EXISTS directory_page_title_search_document();
DROP TRIGGER IF EXISTS directory_activity_search_document ON directory_activitypage;
DROP FUNCTION IF EXISTS directory_activity_search_document();
ALTER TABLE directory_activitypage DROP COLUMN IF EXISTS search_document;
DROP FUNCTION IF EXISTS directory_activity_document(text, text, text, text, text);
"""


def _on_postgresql(sql: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)
    return run


class Migration(migrations.Migration):

    dependencies = [
        ("directory", "0006_search_covering_indexes"),
    ]

    operations = [
        migrations.RunPython(_on_postgresql(DOCUMENT), _on_postgresql(NO_DOCUMENT)),
    ]
