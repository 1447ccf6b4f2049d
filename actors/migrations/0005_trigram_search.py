"""Trigram indexes on the folded name and SIRET that the actor list searches
(strategy.text.trigram_indexes); PostgreSQL only."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

from strategy.text import trigram_indexes


class Migration(migrations.Migration):
    dependencies = [
        ("actors", "0004_staff_territory"),
        ("strategy", "0003_fold_names"),
    ]

    operations = [
        # CreateExtension does nothing on a database other than PostgreSQL.
        TrigramExtension(),
        migrations.RunPython(
            *trigram_indexes(
                ("actor_name_trgm_idx", "actors_actor", "name"),
                ("actor_siret_trgm_idx", "actors_actor", "siret"),
            )
        ),
    ]
