"""One folding of text for search and for sorting by name, the same in Python and in SQL.

`fold(text)` is what every search and every sort by name compares:

1. compatibility decomposition (NFKD), after an acute accent typed as an apostrophe
   became one: accented letters split into a letter and its
   marks, no-break and narrow no-break spaces become spaces, ﬁ becomes fi;
2. the combining marks (U+0300–U+036F) are removed;
3. ligatures and letters without a decomposition are spelled out (œ → oe, æ → ae,
   ß → ss, ø → o, ł → l…), typographic apostrophes, quotes and dashes become ', " and -;
4. A–Z become a–z (what is left of a Latin letter is ASCII by then; other scripts are
   kept as typed, so that the result does not depend on the database's locale);
5. runs of white space become one space, and the ends are trimmed.

The database computes the same thing, so that a search or a sort runs in SQL:
on PostgreSQL the IMMUTABLE SQL function `suivi_fold`, written from the same table
below by the migration strategy 0003 (normalize(), regexp_replace(), lower() under the
"C" collation, which folds A–Z only, whatever the database's locale); on SQLite the
Python function itself, registered on every connection (strategy.apps).

Why a function and not `unaccent`: `unaccent` follows its own rules file, which Python
would have to copy, depends on an extension that the database user may not be allowed
to create, and is not IMMUTABLE (no index without a wrapper). A function serves every
admin search field, at any depth; what it costs is computing it at query time. Where
that cost counts (the commitment titles and delivery comments, searched among hundreds
of thousands of rows), the model keeps the folded text in a column that the database
computes itself (`stored_fold()`, a stored generated column: no bulk writer that
bypasses save() can leave it behind), and `fold_contains` reads that column instead of
folding each row (`stored_fold_of()`). The test tests/strategy/test_text.py compares
the two foldings on every character of Latin-1, Latin Extended-A and B, the
typographic punctuation and the ligatures.

The migration writes the function from this module as it is when it runs: whoever
changes the table below adds a migration that runs create_database_function again
(CREATE OR REPLACE), or databases already migrated keep the former folding. That
migration must also rewrite the stored folded columns (`UPDATE … SET title = title` on
commitments, `comment = comment` on deliveries), on SQLite too, where the new Python
folding arrives with the code: otherwise searches compare newly folded words with rows
folded the former way. The function's body uses PostgreSQL 14's SQL-standard RETURN form.

Sorting by `Fold(name)` orders by code point on both databases (COLLATE "C" on
PostgreSQL, SQLite's BINARY), which on folded text is the French dictionary order at
its first level: Éclaircie among the E, case and accents ignored; ties by primary key.
"""

import functools
import re
import unicodedata

from django.contrib.postgres.operations import TrigramExtension
from django.db.models import CharField, F, Func, GeneratedField, TextField
from django.db.models.lookups import Contains

FUNCTION_NAME = "suivi_fold"

# The acute accent typed as an apostrophe, before the decomposition turns it into a space.
ACUTE_ACCENT = ("\N{ACUTE ACCENT}", "'")

# Applied in this order, after the decomposition (so that ǣ, ǿ, ″ and ŉ come here as
# æ, ø, ′′ and ʼn), by Python and by SQL.
SPELLED_OUT = (
    ("Œ", "oe"),
    ("œ", "oe"),
    ("Æ", "ae"),
    ("æ", "ae"),
    ("ẞ", "ss"),
    ("ß", "ss"),
    ("Ø", "o"),
    ("ø", "o"),
    ("Đ", "d"),
    ("đ", "d"),
    ("Ð", "d"),
    ("ð", "d"),
    ("Þ", "th"),
    ("þ", "th"),
    ("Ħ", "h"),
    ("ħ", "h"),
    ("ı", "i"),
    ("ĸ", "k"),
    ("Ł", "l"),
    ("ł", "l"),
    ("Ŋ", "n"),
    ("ŋ", "n"),
    ("Ŧ", "t"),
    ("ŧ", "t"),
    ("\N{RIGHT SINGLE QUOTATION MARK}", "'"),
    ("\N{LEFT SINGLE QUOTATION MARK}", "'"),
    ("\N{SINGLE HIGH-REVERSED-9 QUOTATION MARK}", "'"),
    ("\N{MODIFIER LETTER APOSTROPHE}", "'"),
    ("\N{PRIME}", "'"),
    ("`", "'"),
    ("\N{LEFT DOUBLE QUOTATION MARK}", '"'),
    ("\N{RIGHT DOUBLE QUOTATION MARK}", '"'),
    ("\N{DOUBLE LOW-9 QUOTATION MARK}", '"'),
    ("\N{DOUBLE HIGH-REVERSED-9 QUOTATION MARK}", '"'),
    ("\N{LEFT-POINTING DOUBLE ANGLE QUOTATION MARK}", '"'),
    ("\N{RIGHT-POINTING DOUBLE ANGLE QUOTATION MARK}", '"'),
    ("\N{HYPHEN}", "-"),
    ("\N{NON-BREAKING HYPHEN}", "-"),
    ("\N{FIGURE DASH}", "-"),
    ("\N{EN DASH}", "-"),
    ("\N{EM DASH}", "-"),
    ("\N{HORIZONTAL BAR}", "-"),
    ("\N{MINUS SIGN}", "-"),
)

# Both patterns are read the same way by Python's re and PostgreSQL's regular expressions.
MARKS = r"[\u0300-\u036f]"
SPACES = r"[\u0009-\u000d\u001c-\u0020\u0085\u1680\u2028\u2029]+"

_MARKS = re.compile(MARKS)
_SPACES = re.compile(SPACES)
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def fold(value):
    """`value` as searches and sorts compare it; None stays None."""
    if value is None:
        return None
    value = unicodedata.normalize("NFKD", value.replace(*ACUTE_ACCENT))
    value = _MARKS.sub("", value)
    for original, replacement in SPELLED_OUT:
        value = value.replace(original, replacement)
    return _SPACES.sub(" ", value.translate(_ASCII_LOWER)).strip(" ")


def _literal(text):
    return "'" + text.replace("'", "''") + "'"


def postgresql_function():
    """The CREATE FUNCTION statement of `suivi_fold`, written from the table above."""
    acute, apostrophe = map(_literal, ACUTE_ACCENT)
    expression = (
        f"regexp_replace(normalize(replace(value, {acute}, {apostrophe}), NFKD), "
        f"{_literal(MARKS)}, '', 'g')"
    )
    for original, replacement in SPELLED_OUT:
        expression = f"replace({expression}, {_literal(original)}, {_literal(replacement)})"
    expression = (
        f'btrim(regexp_replace(lower({expression} COLLATE "C"), '
        f"{_literal(SPACES)}, ' ', 'g'), ' ')"
    )
    return (
        f"CREATE OR REPLACE FUNCTION {FUNCTION_NAME}(value text) RETURNS text "
        "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE "
        f"RETURN {expression}"
    )


def create_database_function(apps, schema_editor):
    """For a migration: the function on PostgreSQL (SQLite gets it per connection)."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(postgresql_function())


def register_sqlite_function(sender, connection, **kwargs):
    """connection_created receiver: the same function on every SQLite connection."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(FUNCTION_NAME, 1, fold, deterministic=True)


class Fold(Func):
    """fold() of a text expression, computed by the database; sorts the same on both."""

    function = FUNCTION_NAME
    arity = 1
    output_field = TextField()

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = self.as_sql(compiler, connection, **extra_context)
        return f'({sql} COLLATE "C")', params


def stored_fold(name, verbose_name):
    """A column that the database keeps equal to fold(`name`), however the row is written
    (a stored generated column; SQLite accepts suivi_fold() in it because the function
    is registered deterministic). fold_contains on `name` then reads it."""
    return GeneratedField(
        expression=Func(F(name), function=FUNCTION_NAME, output_field=TextField()),
        output_field=TextField(),
        db_persist=True,
        verbose_name=verbose_name,
    )


@functools.cache
def stored_fold_of(model, name):
    """The GeneratedField of `model` made by stored_fold(`name`), or None."""
    for field in model._meta.concrete_fields:
        expression = getattr(field, "expression", None)
        if (
            isinstance(field, GeneratedField)
            and isinstance(expression, Func)
            and expression.extra.get("function", expression.function) == FUNCTION_NAME
            and expression.source_expressions == [F(name)]
        ):
            return field
    return None


def _folded(lhs):
    """fold() of `lhs`: its stored folded column when its model keeps one, else computed."""
    target = getattr(lhs, "target", None)
    stored = target and stored_fold_of(target.model, target.name)
    if stored is not None and getattr(lhs, "alias", None) is not None:
        return stored.get_col(lhs.alias)
    return Fold(lhs)


@CharField.register_lookup
@TextField.register_lookup
class FoldContains(Contains):
    """`name__fold_contains=term`: the folded field contains the folded term. The folded
    field is read from its stored column where the model keeps one (stored_fold())."""

    lookup_name = "fold_contains"

    def __init__(self, lhs, rhs):
        super().__init__(_folded(lhs), rhs)

    def get_prep_lookup(self):
        if hasattr(self.rhs, "resolve_expression"):
            return super().get_prep_lookup()
        return fold(str(self.rhs))

    def get_rhs_op(self, connection, rhs):
        # Both sides are folded: a case-sensitive LIKE, escaped as `contains` is.
        if self.rhs_is_direct_value():
            return connection.operators["contains"] % rhs
        pattern = connection.pattern_ops["contains"].format(connection.pattern_esc)
        return pattern.format(rhs)


class SharedTrigramExtension(TrigramExtension):
    """For a migration: creates pg_trgm when missing (as TrigramExtension does, on
    PostgreSQL only) and leaves it in place when the migration is reversed. Several apps'
    trigram indexes need the extension (actors, commitments), so reversing one app's
    migration must not drop it under the others' indexes; the reverse drops the app's
    own indexes only (column_trigram_indexes())."""

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        pass


def column_trigram_indexes(*indexes):
    """For a migration: RunPython's two functions that create and drop GIN trigram
    indexes (pg_trgm) on the (name, table, column) given, such as a stored_fold() column,
    so that they serve `LIKE '%term%'`. PostgreSQL only: SQLite searches by scanning."""

    def create(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for name, table, column in indexes:
                schema_editor.execute(
                    f"CREATE INDEX IF NOT EXISTS {name} ON {table} "
                    f"USING gin ({column} gin_trgm_ops)"
                )

    def drop(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for name, _table, _column in indexes:
                schema_editor.execute(f"DROP INDEX IF EXISTS {name}")

    return create, drop


def trigram_indexes(*indexes):
    """For a migration: RunPython's two functions that create and drop GIN trigram
    indexes (pg_trgm) on the folded text of (name, table, column), the very expression a
    `fold_contains` search compares, so that it serves `LIKE '%term%'`. PostgreSQL only:
    SQLite searches the same way, by scanning."""
    return column_trigram_indexes(
        *(
            (name, table, f'({FUNCTION_NAME}({column}) COLLATE "C")')
            for name, table, column in indexes
        )
    )
