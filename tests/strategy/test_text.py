"""One folding of text for search and sort (strategy.text), the same in Python and SQL."""

import unicodedata

import pytest
from django.db import connection

from actors.models import Actor
from strategy.text import SPELLED_OUT, Fold, fold
from tests.factories import ActorFactory
from tests.helpers import postgresql_only


def sample_characters():
    """Every character of Latin-1 and Latin Extended-A and B, the typographic punctuation,
    the combining marks, the ligatures, the spaces, and what SPELLED_OUT names (no NUL:
    PostgreSQL's text cannot hold it)."""
    ranges = [(0x01, 0x250), (0x300, 0x370), (0x2000, 0x2070), (0xFB00, 0xFB07)]
    characters = {chr(code) for start, end in ranges for code in range(start, end)}
    characters |= {original for original, _ in SPELLED_OUT}
    characters |= {"\N{NARROW NO-BREAK SPACE}", "\N{IDEOGRAPHIC SPACE}", "\N{MINUS SIGN}"}
    return sorted(c for c in characters if unicodedata.category(c) != "Cs")


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        ("Préfecture de la région", "prefecture de la region"),
        ("ÉCLAIRCIE", "eclaircie"),
        ("Œuvre d’Æsope", "oeuvre d'aesope"),
        ("Straße", "strasse"),
        (
            "Trait d’union — «\N{NARROW NO-BREAK SPACE}citoyen\N{NARROW NO-BREAK SPACE}»",
            'trait d\'union - " citoyen "',
        ),
        ("  Métropole\N{NO-BREAK SPACE}\N{NO-BREAK SPACE}européenne\t ", "metropole europeenne"),
        ("e\N{COMBINING ACUTE ACCENT}tude", "etude"),  # decomposed, as macOS types it
        ("ﬁnance", "finance"),
        ("Łódź Ørsted", "lodz orsted"),
        ("", ""),
    ],
)
def test_fold_removes_accents_case_ligatures_and_typographic_variants(typed, folded):
    assert fold(typed) == folded


def test_fold_keeps_none_and_leaves_other_scripts_as_typed():
    assert fold(None) is None
    assert fold("ΑΘΗΝΑ") == "ΑΘΗΝΑ"


def test_fold_is_idempotent_on_the_whole_sample():
    for character in sample_characters():
        assert fold(fold(f"a{character}b")) == fold(f"a{character}b"), hex(ord(character))


@pytest.mark.django_db
@postgresql_only("SQLite runs fold() itself; PostgreSQL computes suivi_fold() in SQL")
def test_postgresql_folds_every_sample_character_as_python_does():
    texts = [f"Ab{c}É{c}{c} x" for c in sample_characters()] + [
        c for c in sample_characters() if c != "\x00"
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.value, suivi_fold(t.value) FROM unnest(%s::text[]) WITH ORDINALITY"
            " AS t(value, n) ORDER BY t.n",
            [texts],
        )
        rows = cursor.fetchall()
    assert len(rows) == len(texts) > 900
    differences = [(text, db, fold(text)) for text, db in rows if db != fold(text)]
    assert differences == []


@pytest.mark.django_db
def test_the_database_folds_stored_names_as_python_does():
    names = ["Collectif Éclaircie Oise", "ŒUVRE d’entraide", "Straße\N{NO-BREAK SPACE}12"]
    for name in names:
        ActorFactory(name=name)
    folded = dict(Actor.objects.annotate(folded=Fold("name")).values_list("name", "folded"))
    assert folded == {name: fold(name) for name in names}
