"""Single-column indexes of foreign keys whose column already leads a composite index or
unique constraint: each was one more write on every insert and status move, and never the
better index for a query. Only the index goes; the foreign key constraint stays as it is
(AlterField would drop and re-add it, validating every row of a large table)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("bots", "0006_bot_cache_version"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="contact",
                    name="bot",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="contacts",
                        to="bots.bot",
                        verbose_name="bot",
                    ),
                ),
                migrations.AlterField(
                    model_name="message",
                    name="contact",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="messages",
                        to="bots.contact",
                        verbose_name="contact",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "bots_contact_bot_id_a20cb95a"',
                    'CREATE INDEX "bots_contact_bot_id_a20cb95a" ON "bots_contact" ("bot_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "bots_message_contact_id_4e4abe6e"',
                    'CREATE INDEX "bots_message_contact_id_4e4abe6e" ON "bots_message" ("contact_id")',
                ),
            ],
        ),
    ]
