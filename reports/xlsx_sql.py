"""On PostgreSQL, the database writes the XML of an XLSX report's rows itself.

What export_sql does for CSV lines, for the `<row>` elements of the report's sheet: each
column becomes an SQL expression that gives its cell exactly as
export_writers._cell_template writes it (an inline string cleaned of the characters
XLSX cannot hold, defused and escaped; a number with its column's style; a date as
Excel's serial number), and one `COPY … TO STDOUT` writes every row to a temporary
file. Python then only copies the blocks into the zip (reports/xlsx_stream.py): no
Python code runs per row. The tests compare the sheet with the Python writer's, byte
for byte, on awkward data.

The query has two levels. The inner one is the report's own query: the values each
column needs, a text cleaned once per cell (a regular expression finds the rare text
with control characters; translate() removes them), and the row's number in the
report's order (ROW_NUMBER() OVER the same ORDER BY). The outer one writes the cells
from those values, which it reads as the inner query's columns, each computed once.
A cell's reference is written with a placeholder for its row (ROW below), replaced
once per row by the number: a cleaned text never holds that control character.
"""

import tempfile
from dataclasses import dataclass

from django.db.models import (
    DateTimeField,
    Window,
)
from django.db.models.functions import RowNumber
from django.utils import timezone

from reports import xlsx_stream
from reports.export_sql import (
    BLOCK,
    OverOne,
    _copy,
    _literal,
    _unescape,
    starts_a_formula,
)
from reports.export_writers import (
    CELL_CHARACTERS,
    EXCEL_EPOCH_DAY,
    UNIX_EPOCH_SERIAL,
    defuse,
    xlsx_text,
)
from reports.xlsx_stream import DAY, DAY_TIME, DECIMALS, GROUPED, PLAIN
from strategy.units import Unit

ROW = "\x01"
# The characters export_writers.xlsx_text changes: vertical tab and form feed become a
# line break, the other control characters (but tab, LF and CR), U+FFFE and U+FFFF are
# dropped (export_writers.NOT_IN_XML).
_TO_LINE_BREAK = "\x0b\x0c"
_DROPPED = "".join(chr(code) for code in range(1, 32) if chr(code) not in "\t\n\r\x0b\x0c")
_DROPPED += "\ufffe\uffff"
_NEEDS_CLEANING = "[\\x01-\\x08\\x0b\\x0c\\x0e-\\x1f\\ufffe\\uffff]"
WHOLE_UNITS = tuple(code for code, _label in Unit.choices if Unit(code).is_whole)


class CleanText(OverOne):
    """A value as text, cleaned as export_writers.xlsx_text cleans it; NULL stays NULL."""

    def as_sql(self, compiler, connection):
        sql, params = compiler.compile(self.expression)
        value = f"(({sql})::text)"
        cleaned = (
            f"translate({value}, {_literal(_TO_LINE_BREAK + _DROPPED)}, "
            f"{_literal(chr(10) * len(_TO_LINE_BREAK))})"
        )
        return (
            f"CASE WHEN {value} ~ {_literal(_NEEDS_CLEANING)} THEN {cleaned} ELSE {value} END",
            list(params) * 3,
        )


@dataclass
class XlsxCell:
    """A column's cell: the values it reads (expressions of the report's query) and
    `write(names)`, the SQL that writes the cell from those values, given the names the
    outer query reads them by."""

    values: list
    write: object


def _when_present(value, cell):
    return f"CASE WHEN {value} IS NULL THEN '' ELSE {cell} END"


def _start(letter, style):
    """A cell's opening tag as xlsx_stream writes it, up to its value or type."""
    styled = f' s="{style}"' if style else ""
    return f'<c r="{letter}{ROW}"{styled}'


def text_cell(expression, letter):
    """A text: nothing when it is NULL or empty once cleaned; else an inline string,
    defused, escaped, its spaces kept where it starts or ends with one
    (xlsx_stream.text_cell)."""

    def write(names):
        (name,) = names
        # Cut as xlsx_text cuts (octet_length is read in constant time; only a text of
        # that many bytes may have that many characters).
        text = (
            f"(CASE WHEN octet_length({name}) > {CELL_CHARACTERS} "
            f"THEN left({name}, {CELL_CHARACTERS}) ELSE {name} END)"
        )
        # Defusing prefixes an apostrophe: the text's end is unchanged, and a text that
        # starts with a tab is defused, so only a space or a line break starts it.
        keeps_spaces = f"ascii({text}) IN (32, 10) OR right({text}, 1) IN (' ', E'\\n', E'\\t')"
        escaped = f"replace(replace(replace({text}, '&', '&amp;'), '<', '&lt;'), '>', '&gt;')"
        escaped = (
            f"CASE WHEN strpos({text}, '_x') > 0 THEN regexp_replace({escaped}, "
            f"{_literal('_(x[0-9A-Fa-f]{4}_)')}, {_literal('_x005F_' + chr(92) + '1')}, 'g') "
            f"ELSE {escaped} END"
        )
        cell = (
            f"{_literal(_start(letter, PLAIN) + ' t=' + chr(34) + 'inlineStr' + chr(34))}"
            f" || '><is><t' || CASE WHEN {keeps_spaces} THEN ' xml:space=\"preserve\"'"
            f" ELSE '' END || '>' || CASE WHEN {starts_a_formula(text)} THEN ''''"
            f" ELSE '' END || {escaped} || '</t></is></c>'"
        )
        return f"CASE WHEN {text} IS NULL OR {text} = '' THEN '' ELSE {cell} END"

    return XlsxCell([CleanText(expression)], write)


def label_cell(expression, choices, letter):
    """A code written as its French label: the cells are written once, here, by the
    Python writer's own function, and the database chooses among them."""
    template = xlsx_stream.text_cell(letter)
    cells = {}
    for code, label in choices:
        text = xlsx_text(str(label))
        cells[code] = template(ROW, defuse(text)) if text else ""

    def write(names):
        (code,) = names
        whens = " ".join(
            f"WHEN {_literal(str(code))} THEN {_literal(cell)}" for code, cell in cells.items()
        )
        return f"CASE ({code})::text {whens} ELSE '' END"

    return XlsxCell([expression], write)


def number_cell(expression, letter, style):
    """A number as its text (Python's str() of an int or a Decimal writes the same)."""

    def write(names):
        (number,) = names
        cell = f"{_literal(_start(letter, style) + '><v>')} || ({number})::text || '</v></c>'"
        return _when_present(number, cell)

    return XlsxCell([expression], write)


def amount_cell(expression, unit, letter):
    """An amount, grouped without decimals when its unit is counted whole, else with
    two decimals (export_writers.Amount)."""

    def write(names):
        amount, code = names
        whole = ", ".join(_literal(code) for code in WHOLE_UNITS)
        cell = (
            f"{_literal(f'<c r={chr(34)}{letter}{ROW}{chr(34)} s={chr(34)}')}"
            f" || CASE WHEN ({code})::text IN ({whole}) THEN '{GROUPED}' ELSE '{DECIMALS}' END"
            f" || '\"><v>' || ({amount})::text || '</v></c>'"
        )
        return _when_present(amount, cell)

    return XlsxCell([expression, unit], write)


class _DateCellXml(OverOne):
    """A date's or a time's whole cell, or NULL: its type is known once resolved."""

    def __init__(self, expression, letter):
        super().__init__(expression)
        self.letter = letter

    def as_sql(self, compiler, connection):
        sql, params = compiler.compile(self.expression)
        value = f"({sql})"
        if isinstance(self.expression.output_field, DateTimeField):
            zone = _literal(timezone.get_current_timezone_name())
            local = f"({value} AT TIME ZONE {zone})"
            number = f"(extract(epoch FROM {local})::float8 / 86400 + {UNIX_EPOCH_SERIAL})::text"
            style = DAY_TIME
        else:
            number = f"({value} - DATE '{EXCEL_EPOCH_DAY.isoformat()}')::text"
            style = DAY
        start = _literal(_start(self.letter, style) + "><v>")
        # NULL when the value is: || of NULL is NULL.
        return f"{start} || {number} || '</v></c>'", list(params)


def date_cell(expression, letter):
    """A date as Excel's day number; a time as the day and its fraction, in the current
    time zone, computed in floating point as export_writers._excel_time does (the same
    operations on the same doubles: the same digits, Python's repr() without `.0`)."""

    def write(names):
        (cell,) = names
        return f"COALESCE({cell}, '')"

    return XlsxCell([_DateCellXml(expression, letter)], write)


def copy_rows(queryset, cells):
    """Runs the COPY now (a database that fails does so before any byte is sent) and
    returns the rows' XML, from row 2 on (row 1 is the header), as WrittenRows.
    queryset: the report's rows in its order (an explicit ORDER BY, which numbers them)."""
    order = list(queryset.query.order_by)
    if not order:
        raise ValueError("The rows' order numbers them: order_by() is required.")
    names, annotations = [], {}
    for index, cell in enumerate(cells):
        cell_names = []
        for position, value in enumerate(cell.values):
            name = f"xlsx_{index}_{position}"
            annotations[name] = value
            cell_names.append(f's."{name}"')
        names.append(cell_names)
    annotations["xlsx_row"] = Window(RowNumber(), order_by=order)
    inner = queryset.annotate(**annotations).values_list(*annotations)
    written = " || ".join(
        cell.write(cell_names) for cell, cell_names in zip(cells, names, strict=True)
    )
    # The outer query reads the inner one's rows in their order (a subquery scan keeps
    # it; the window function keeps PostgreSQL from merging the two levels).
    row_start = _literal(f'<row r="{ROW}">')
    written = written or "''"
    line = (
        f"replace({row_start} || {written}"
        f" || '</row>', {_literal(ROW)}, (s.\"xlsx_row\" + 1)::text)"
    )
    rows = WrittenRows()
    try:
        _copy(inner, rows.file, wrap=lambda sql: f"SELECT {line} FROM ({sql}) AS s")
    except BaseException:
        rows.file.close()
        raise
    return rows


class WrittenRows:
    """The rows COPY wrote, one a line: chunks() gives their XML a block at a time and
    counts them (`written`)."""

    def __init__(self):
        self.file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by chunks() or close()
        self.written = 0

    def chunks(self, progress=None):
        with self.file as lines:
            lines.seek(0)
            rest = b""
            while block := lines.read(BLOCK):
                block = rest + block
                cut = block.rfind(b"\n") + 1
                block, rest = block[:cut], block[cut:]
                self.written += block.count(b"\n")
                if progress is not None:
                    progress(self.written)
                # COPY ends each row with LF and escapes any LF inside it.
                yield _unescape(block.replace(b"\n", b""))
        if rest:
            raise ValueError("COPY s'est arrêté au milieu d'une ligne.")

    def close(self):
        self.file.close()
