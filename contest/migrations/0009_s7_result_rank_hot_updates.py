"""A round's close writes the rank of every result: no index on rank, and half-empty pages on
PostgreSQL, so that those writes are heap-only updates (see RoundResult)."""

from django.db import migrations

FILLFACTOR = 50


def half_empty_pages(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"ALTER TABLE contest_roundresult SET (fillfactor = {FILLFACTOR})"
        )


def full_pages(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE contest_roundresult RESET (fillfactor)")


class Migration(migrations.Migration):

    dependencies = [
        ("contest", "0008_h16_results_held"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="roundresult",
            name="contest_rou_round_i_25d108_idx",
        ),
        migrations.RunPython(half_empty_pages, full_pages),
    ]
