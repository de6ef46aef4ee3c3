"""Editors and reviewers review the source watch (see the diff, confirm or accept a change) and
see background tasks, retrying a failed one (a reader's email)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITOR_PERMISSIONS = [
    "view_sourcebaseline",
    "change_sourcebaseline",
    "view_sourcepage",
    "view_taskrecord",
    "change_taskrecord",
]
GROUPS = ("Editors", "Reviewers")


def add_permissions(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(
        content_type__app_label="kb", codename__in=EDITOR_PERMISSIONS
    )
    for name in GROUPS:
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*permissions)


def remove_permissions(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(
        content_type__app_label="kb", codename__in=EDITOR_PERMISSIONS
    )
    for group in Group.objects.filter(name__in=GROUPS):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [("kb", "0008_2_carrier_changes")]

    operations = [migrations.RunPython(add_permissions, remove_permissions)]
