"""The demo's shortcuts on a large load draw and write what the plain way would."""

import random

from commitments.models import Commitment
from datasets.demo import _DELIVERY_STATUS_DRAW, COMMITMENT_COLUMNS, _weighted


def test_the_weighted_draw_is_the_one_random_choices_makes():
    population, cum_weights = _DELIVERY_STATUS_DRAW
    ours, theirs = random.Random(5), random.Random(5)
    drawn = [_weighted(ours, population, cum_weights) for _ in range(20_000)]
    assert drawn == [theirs.choices(population, cum_weights=cum_weights)[0] for _ in drawn]
    assert set(drawn) == set(population)
    assert ours.random() == theirs.random()  # as many draws on each side


def test_the_commitments_copy_writes_every_column_the_database_does_not():
    written = [field.column for field in Commitment._meta.concrete_fields if not field.generated]
    assert sorted(COMMITMENT_COLUMNS) == sorted(written)
