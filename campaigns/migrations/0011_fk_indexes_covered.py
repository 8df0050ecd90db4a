"""Single-column indexes of foreign keys whose column already leads a composite index or
unique constraint: each was one more write on every insert and status move, and never the
better index for a query. Only the index goes; the foreign key constraint stays as it is
(AlterField would drop and re-add it, validating every row of a large table)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("bots", "0007_fk_indexes_covered"),
        ("campaigns", "0010_list_and_recipient_order"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="recipient",
                    name="campaign",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="recipients",
                        to="campaigns.campaign",
                        verbose_name="campaign",
                    ),
                ),
                migrations.AlterField(
                    model_name="recipient",
                    name="contact",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="recipients",
                        to="bots.contact",
                        verbose_name="contact",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "campaigns_recipient_campaign_id_20a372e5"',
                    'CREATE INDEX "campaigns_recipient_campaign_id_20a372e5" ON "campaigns_recipient" ("campaign_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "campaigns_recipient_contact_id_34f5e802"',
                    'CREATE INDEX "campaigns_recipient_contact_id_34f5e802" ON "campaigns_recipient" ("contact_id")',
                ),
            ],
        ),
    ]
