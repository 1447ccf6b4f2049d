"""On PostgreSQL, the database writes the CSV lines of a report itself.

Each column becomes an SQL expression that gives its cell exactly as
export_writers.csv_chunks would write it: labels, the apostrophe before a formula, the
decimal comma of the excel dialect, and the quoting of Python's csv module (a cell with
the delimiter, a quote, CR or LF is quoted, its quotes doubled). Before the response
starts, one `COPY (SELECT line …) TO STDOUT` writes the lines to a temporary file, which
is then read back in blocks: memory stays constant, and no Python code runs per row.
The tests compare its text with the Python writer's on awkward data.
"""

import re
import tempfile

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import DateTimeField, Expression, IntegerField, TextField
from django.utils import timezone

from reports.export_writers import DELIMITERS, FORMULA_STARTS

BLOCK = 1 << 20
# COPY's text format escapes a backslash and the control characters below.
_ESCAPED = re.compile(rb"\\(.)")
_UNESCAPE = {
    b"\\": b"\\",
    b"n": b"\n",
    b"r": b"\r",
    b"t": b"\t",
    b"b": b"\b",
    b"f": b"\f",
    b"v": b"\v",
}


def _literal(text):
    """A PostgreSQL escape-string literal for our own constants (never user input)."""
    escaped = text.replace("\\", "\\\\").replace("'", "\\'")
    escaped = escaped.replace("\t", "\\t").replace("\r", "\\r").replace("\n", "\\n")
    escaped = _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", escaped)
    return f"E'{escaped}'"


_CONTROL = re.compile("[\x01-\x1f]")


class OverOne(Expression):
    """A text computed in SQL from one source expression (`self.expression`)."""

    output_field = TextField()

    def __init__(self, expression):
        super().__init__()
        self.expression = expression

    def get_source_expressions(self):
        return [self.expression]

    def set_source_expressions(self, expressions):
        (self.expression,) = expressions


class _Cell(OverOne):
    """A cell's text, never NULL, from `template(dialect)` where {x} is the value as text."""

    def __init__(self, expression, dialect):
        super().__init__(expression)
        self.dialect = dialect

    def get_group_by_cols(self):
        # In a grouped query (synthese) group by what the cell is written from, not by
        # the written cell: a cell is a function of its value, computed once per group.
        return self.expression.get_group_by_cols()

    def as_sql(self, compiler, connection):
        sql, params = compiler.compile(self.expression)
        template = self.template(self.dialect)
        return template.replace("{x}", f"(({sql})::text)"), list(params) * template.count("{x}")


class TextCell(_Cell):
    """Defused, then quoted as csv.writer does (QUOTE_MINIMAL, CRLF line ends)."""

    @staticmethod
    def template(dialect):
        defused = f"CASE WHEN {starts_a_formula('{x}')} THEN '''' || {{x}} ELSE {{x}} END"
        special = (DELIMITERS[dialect], '"', "\n", "\r")
        needs_quotes = " OR ".join(f"strpos({{x}}, {_literal(char)}) > 0" for char in special)
        quoted = f"""'"' || replace({defused}, '"', '""') || '"'"""
        return (
            f"CASE WHEN {{x}} IS NULL THEN '' WHEN {needs_quotes} THEN {quoted} ELSE {defused} END"
        )


def starts_a_formula(text):
    """SQL: whether `text` starts with one of FORMULA_STARTS (export_writers.defuse), by
    its first character's code (ascii() reads one code point, cheaper than left())."""
    codes = ", ".join(str(ord(start)) for start in FORMULA_STARTS)
    return f"ascii({text}) IN ({codes})"


class WrittenCell(_Cell):
    """A value that is already a written cell (labels written by export_writers.csv_cell)."""

    @staticmethod
    def template(dialect):
        return "COALESCE({x}, '')"


class NumberCell(_Cell):
    """A number as Python's `format(value, "f")` (or str() of an int) writes it; in excel
    as export_writers.excel_number does: a decimal comma, no decimals when whole, else
    two, rounded half up (PostgreSQL's round() on numeric rounds half away from zero,
    as ROUND_HALF_UP does)."""

    def as_sql(self, compiler, connection):
        sql, params = compiler.compile(self.expression)
        value = f"({sql})"
        if self.dialect == "excel" and not isinstance(self.expression.output_field, IntegerField):
            number = "(({x})::numeric)"
            template = (
                f"COALESCE(CASE WHEN {number} = trunc({number}) THEN trunc({number})::text "
                f"ELSE replace(round({number}, 2)::text, '.', ',') END, '')"
            )
        else:
            template = "COALESCE(({x})::text, '')"
        return template.replace("{x}", value), list(params) * template.count("{x}")


class RateCell(_Cell):
    """A rate as NumberCell writes it in csv; in excel as export_writers.excel_rate does:
    a whole percentage, rounded half up (PostgreSQL's round() on numeric), `38 %`."""

    @staticmethod
    def template(dialect):
        if dialect == "excel":
            percent = "(round(({x})::numeric * 100))::text"
            # chr(37), "%": a percent sign in the SQL text would be read as a parameter.
            return f"COALESCE({percent} || {_literal(chr(0xA0))} || chr(37), '')"
        return "COALESCE({x}, '')"


class DateCell(_Cell):
    """A date as export_writers writes it: dd/mm/yyyy in excel, ISO in csv. A time is
    first converted to the current time zone, as the Python writer does (`AT TIME ZONE`,
    daylight saving included), then dd/mm/yyyy hh:mm in excel, or as Python's
    isoformat() in csv: microseconds only when there are some, and the zone's offset."""

    def as_sql(self, compiler, connection):
        sql, params = compiler.compile(self.expression)
        field = self.expression.output_field
        if not isinstance(field, DateTimeField):
            template = (
                "to_char({x}, 'DD/MM/YYYY')"
                if self.dialect == "excel"
                else "to_char({x}, 'YYYY-MM-DD')"
            )
        else:
            zone = _literal(timezone.get_current_timezone_name())
            local = f"({{x}} AT TIME ZONE {zone})"
            if self.dialect == "excel":
                template = f"to_char({local}, 'DD/MM/YYYY HH24:MI')"
            else:
                offset = f"({local} - ({{x}} AT TIME ZONE 'UTC'))"
                sign = f"CASE WHEN {offset} < interval '0' THEN '-' ELSE '+' END"
                template = (
                    f"""to_char({local}, 'YYYY-MM-DD"T"HH24:MI:SS')"""
                    f" || CASE WHEN to_char({local}, 'US') = '000000' THEN ''"
                    f" ELSE '.' || to_char({local}, 'US') END"
                    f" || {sign} || to_char(abs_offset, 'HH24:MI')"
                )
                template = template.replace(
                    "abs_offset",
                    f"CASE WHEN {offset} < interval '0' THEN -{offset} ELSE {offset} END",
                )
        template = f"COALESCE({template}, '')"
        return template.replace("{x}", f"({sql})"), list(params) * template.count("{x}")


class Line(Expression):
    """The cells joined by the dialect's delimiter."""

    output_field = TextField()

    def __init__(self, cells, dialect):
        super().__init__()
        self.cells = list(cells)
        self.dialect = dialect

    def get_source_expressions(self):
        return self.cells

    def set_source_expressions(self, expressions):
        self.cells = list(expressions)

    def as_sql(self, compiler, connection):
        parts, params = [], []
        for cell in self.cells:
            sql, cell_params = compiler.compile(cell)
            parts.append(sql)
            params += cell_params
        return f" || {_literal(DELIMITERS[self.dialect])} || ".join(parts), params


def copy_lines(queryset, header, progress=None):
    """Runs the COPY now, so that a database that fails does so in the view, before any
    byte is sent (the 503 page rather than a cut download); then returns the chunks as
    UTF-8 bytes, what a download sends as it is: `header` (text), then the queryset's
    `line` values, about a megabyte at a time, never decoded.
    progress: a callable given the number of lines sent so far, with each chunk."""
    lines = tempfile.TemporaryFile()  # noqa: SIM115 - closed by _chunks, or below
    try:
        _copy(queryset.values_list("line"), lines)
    except BaseException:
        lines.close()
        raise
    lines.seek(0)
    return _chunks(lines, header.encode("utf-8"), progress)


def _chunks(lines, header, progress=None):
    with lines:
        yield header
        rest, written = b"", 0
        while block := lines.read(BLOCK):
            # COPY ends each row with LF and escapes any LF inside it: cut after the last.
            # The connection's encoding is UTF-8 (Django sets it), in which an LF is never
            # part of another character: each chunk is whole characters.
            block = rest + block
            cut = block.rfind(b"\n") + 1
            block, rest = block[:cut], block[cut:]
            if progress is not None:
                written += block.count(b"\n")
                progress(written)
            yield _unescape(block.replace(b"\n", b"\r\n"))
    if progress is not None and not written:
        progress(0)
    if rest:
        raise ValueError("COPY s'est arrêté au milieu d'une ligne.")


def _copy(queryset, target, wrap=None):
    """COPY of the queryset's rows to `target`; wrap: a function of the query's SQL
    that gives the statement to copy instead (an outer query over it)."""
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:
        return  # a query that matches nothing by construction (an empty scope): no line
    with connection.cursor() as cursor:
        query = cursor.mogrify(sql, params).decode()
        statement = f"COPY ({wrap(query) if wrap else query}) TO STDOUT"
        cursor.copy_expert(statement, target, BLOCK)  # Django logs it like any query


def _unescape(block):
    if b"\\" not in block:
        return block
    return _ESCAPED.sub(lambda match: _UNESCAPE[match.group(1)], block)
