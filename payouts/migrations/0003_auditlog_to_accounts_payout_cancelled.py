"""The audit log now belongs to accounts (``accounts.0003_auditlog``): removed from payouts' state only, so its table
and rows stay as they are. And payouts get a ``cancelled`` status (the creator closed their account)."""

from django.db import migrations, models

STATUSES = [
    ("requested", "Waiting for review"),
    ("approved", "Approved"),
    ("processing", "Sending"),
    ("paid", "Paid"),
    ("failed", "Failed (diamonds returned)"),
    ("rejected", "Rejected (diamonds returned)"),
    ("cancelled", "Cancelled (diamonds returned)"),
]


class Migration(migrations.Migration):

    dependencies = [
        ("payouts", "0002_payoutaccount_stripe_payouts_enabled"),
    ]

    # Before accounts takes the model into its state, so the table is never claimed by two apps' states at once, and
    # (on a fresh database) after payouts.0001 has created it: accounts.0003 then finds it and creates nothing.
    run_before = [
        ("accounts", "0003_auditlog"),
    ]

    operations = [
        migrations.AlterField(
            model_name="payout",
            name="status",
            field=models.CharField(choices=STATUSES, default="requested", max_length=12),
        ),
        migrations.AlterField(
            model_name="payoutevent",
            name="status",
            field=models.CharField(choices=STATUSES, max_length=12),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="AuditLog")],
            database_operations=[],
        ),
    ]
