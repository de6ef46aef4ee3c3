from django.contrib.auth.management import create_permissions
from django.core.management import call_command
from django.db import migrations

EDITOR_PERMISSIONS = [
    f"{action}_{model}"
    for model in ("guide", "step", "problem", "source", "carrier", "supportchannel", "task", "country")
    for action in ("add", "change", "view")
] + ["view_guiderevision", "view_guideevent", "verify_guide"]
REVIEWER_PERMISSIONS = EDITOR_PERMISSIONS + ["publish_guide", "delete_step", "delete_problem", "delete_source"]
GROUPS = {"Editors": EDITOR_PERMISSIONS, "Reviewers": REVIEWER_PERMISSIONS}


def create_groups(apps, schema_editor):
    # Permissions are normally made after migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="kb", codename__in=codenames)
        )


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


def create_cache_table(apps, schema_editor):
    # The default cache lives in the database; `migrate` is then the only set-up step.
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [
        ("kb", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(create_groups, remove_groups),
        migrations.RunPython(create_cache_table, migrations.RunPython.noop),
    ]
