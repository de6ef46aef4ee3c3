"""Pictures for the editorial groups. Removing a picture from a pending change loses nothing
(revisions keep it), so editors may delete placements as well as add and change them."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

PERMISSIONS = [
    "add_guideimage",
    "change_guideimage",
    "view_guideimage",
    "delete_guideimage",
    "view_imageasset",
]
GROUPS = ("Editors", "Reviewers")


def add_permissions(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name in GROUPS:
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="kb", codename__in=PERMISSIONS)
        )


def remove_permissions(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=GROUPS):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="kb", codename__in=PERMISSIONS)
        )


class Migration(migrations.Migration):
    # Also after 0010_source_watch_permissions, which main left as a second leaf.
    dependencies = [
        ("kb", "0015_page_cache_table"),
        ("kb", "0010_source_watch_permissions"),
        ("kb", "0008_3_staff_labels"),
        ("kb", "0002_editorial_groups"),
    ]

    operations = [migrations.RunPython(add_permissions, remove_permissions)]
