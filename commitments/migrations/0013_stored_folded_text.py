"""The folded title and comment kept in stored generated columns (strategy.text.stored_fold),
with the trigram indexes that serve the admin search on them (PostgreSQL only), in place
of those on the folded expression, which no search reads any more."""

from django.db import migrations, models

from strategy.text import column_trigram_indexes, trigram_indexes

EXPRESSION_INDEXES = trigram_indexes(
    ("commitment_title_trgm_idx", "commitments_commitment", "title"),
    ("delivery_comment_trgm_idx", "commitments_delivery", "comment"),
)


def analyze(apps, schema_editor):
    """PostgreSQL: statistics on the new columns, for the planner to weigh the trigram
    indexes from the first search rather than once autovacuum comes by."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ANALYZE commitments_commitment, commitments_delivery")


class Migration(migrations.Migration):
    dependencies = [
        ("commitments", "0012_trigram_search"),
        ("strategy", "0003_fold_names"),
    ]

    operations = [
        migrations.AddField(
            model_name="commitment",
            name="title_folded",
            field=models.GeneratedField(
                db_persist=True,
                expression=models.Func(
                    models.F("title"), function="suivi_fold", output_field=models.TextField()
                ),
                output_field=models.TextField(),
                verbose_name="intitulé replié",
            ),
        ),
        migrations.AddField(
            model_name="delivery",
            name="comment_folded",
            field=models.GeneratedField(
                db_persist=True,
                expression=models.Func(
                    models.F("comment"), function="suivi_fold", output_field=models.TextField()
                ),
                output_field=models.TextField(),
                verbose_name="commentaire replié",
            ),
        ),
        # Dropped going forward, created again going back.
        migrations.RunPython(EXPRESSION_INDEXES[1], EXPRESSION_INDEXES[0]),
        migrations.RunPython(
            *column_trigram_indexes(
                ("commitment_title_folded_trgm_idx", "commitments_commitment", "title_folded"),
                ("delivery_comment_folded_trgm_idx", "commitments_delivery", "comment_folded"),
            )
        ),
        migrations.RunPython(analyze, migrations.RunPython.noop),
    ]
