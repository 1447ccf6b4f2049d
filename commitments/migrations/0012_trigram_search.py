"""Trigram indexes on the folded text that the commitment and delivery lists search
(strategy.text.trigram_indexes); PostgreSQL only."""

from django.db import migrations

from strategy.text import SharedTrigramExtension, trigram_indexes


class Migration(migrations.Migration):
    dependencies = [
        ("commitments", "0011_admin_list_indexes"),
        ("strategy", "0003_fold_names"),
    ]

    operations = [
        # Does nothing on a database other than PostgreSQL; kept when reversed, for
        # the other apps' trigram indexes.
        SharedTrigramExtension(),
        migrations.RunPython(
            *trigram_indexes(
                ("commitment_title_trgm_idx", "commitments_commitment", "title"),
                ("delivery_comment_trgm_idx", "commitments_delivery", "comment"),
            )
        ),
    ]
