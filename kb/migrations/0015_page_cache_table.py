from django.core.management import call_command
from django.db import migrations


def create_cache_tables(apps, schema_editor):
    # The shared page cache (CACHES["pages"]) is a database table unless Redis is used.
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("kb", "0014_images")]

    operations = [migrations.RunPython(create_cache_tables, migrations.RunPython.noop)]
