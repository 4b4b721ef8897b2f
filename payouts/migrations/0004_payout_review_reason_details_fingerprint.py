from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("payouts", "0003_auditlog_to_accounts_payout_cancelled"),
    ]

    operations = [
        migrations.AddField(
            model_name="payout",
            name="details_fingerprint",
            field=models.CharField(
                blank=True,
                help_text="The payout details it was requested and approved with (a digest).",
                max_length=64,
            ),
        ),
        migrations.AddField(
            model_name="payout",
            name="review_reason",
            field=models.CharField(
                blank=True,
                help_text="Why it waits for staff (empty: approved automatically).",
                max_length=255,
            ),
        ),
    ]
