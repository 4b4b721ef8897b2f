"""The audit log moves from the payouts app to accounts (the bottom of the import order), keeping its table and rows.

State: accounts gains ``AuditLog`` with ``db_table = "payouts_auditlog"``; ``payouts.0003`` drops it from payouts'
state (it runs first, ``run_before``). Database: nothing changes where the payouts app made the table; where payouts
is not installed (a site without payouts), the table is created here. The content type (and the staff permissions
attached to it) moves to the new app label.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def table_create_if_missing(apps, schema_editor):
    model = apps.get_model("accounts", "AuditLog")
    if model._meta.db_table not in schema_editor.connection.introspection.table_names():
        schema_editor.create_model(model)


def content_type_move(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    if not content_type.objects.filter(app_label="accounts", model="auditlog").exists():
        content_type.objects.filter(app_label="payouts", model="auditlog").update(app_label="accounts")


def content_type_move_back(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    if not content_type.objects.filter(app_label="payouts", model="auditlog").exists():
        content_type.objects.filter(app_label="accounts", model="auditlog").update(app_label="payouts")


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0002_nickname"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AuditLog",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("action", models.CharField(max_length=64)),
                        ("object_type", models.CharField(max_length=40)),
                        ("object_id", models.CharField(max_length=64)),
                        ("details", models.JSONField(default=dict)),
                        ("created_at", models.DateTimeField(db_index=True, default=django.utils.timezone.now, editable=False)),
                        ("actor", models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "db_table": "payouts_auditlog",
                        "ordering": ["-created_at"],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(table_create_if_missing, migrations.RunPython.noop),
        migrations.RunPython(content_type_move, content_type_move_back),
    ]
