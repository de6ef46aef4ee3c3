"""Editors accept reader corrections too (a reviewer then publishes the pending change), and
the audit trail records edits and applied corrections, whose writers the four-eyes rule counts."""

from django.contrib.auth.management import create_permissions
from django.db import migrations, models


def editors_accept(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    accept = Permission.objects.filter(content_type__app_label="kb", codename="accept_correction")
    group, _ = Group.objects.get_or_create(name="Editors")
    group.permissions.add(*accept)


def editors_do_not_accept(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    accept = Permission.objects.filter(content_type__app_label="kb", codename="accept_correction")
    for group in Group.objects.filter(name="Editors"):
        group.permissions.remove(*accept)


class Migration(migrations.Migration):

    dependencies = [
        ('kb', '0009_plan_type'),
        ('kb', '0006_correction_permissions'),
    ]

    operations = [
        migrations.AlterField(
            model_name='guideevent',
            name='action',
            field=models.CharField(choices=[('created', 'Created'), ('imported', 'Imported'), ('edit_started', 'Started a change'), ('edited', 'Edited'), ('correction_applied', "Reader's correction applied"), ('submitted', 'Submitted for review'), ('rejected', 'Sent back to draft'), ('published', 'Published'), ('archived', 'Archived'), ('restored', 'Restored to draft'), ('verified', 'Verified'), ('reverted', 'Old revision restored as a pending change'), ('discarded', 'Pending change discarded')], max_length=20, verbose_name='action'),
        ),
        migrations.RunPython(editors_accept, editors_do_not_accept),
    ]
