"""Trigram indexes on the folded name and SIRET that the actor list searches
(strategy.text.trigram_indexes); PostgreSQL only."""

from django.db import migrations

from strategy.text import SharedTrigramExtension, trigram_indexes


class Migration(migrations.Migration):
    dependencies = [
        ("actors", "0004_staff_territory"),
        ("strategy", "0003_fold_names"),
    ]

    operations = [
        # Does nothing on a database other than PostgreSQL; kept when reversed, for
        # the other apps' trigram indexes.
        SharedTrigramExtension(),
        migrations.RunPython(
            *trigram_indexes(
                ("actor_name_trgm_idx", "actors_actor", "name"),
                ("actor_siret_trgm_idx", "actors_actor", "siret"),
            )
        ),
    ]
