"""Spreadsheet import of actors and commitments, with the same columns as the exports.

read_table() turns an uploaded file (CSV in either dialect, UTF-8 with or without BOM or
Windows-1252, or XLSX) into rows; an importer plans what each row would create, update
or leave unchanged, with every error by line and column; apply() writes the plan in one
transaction, with history, or nothing.

A plan is made once, at the preview. It loads only the records the file names (by id, by
slug, by the commitment's key), as plain values, and checks each row with the model's own
field validators and rules, without a model instance per row. It is kept with the pending
file (Plan.keep) together with a stamp of the records it read; the confirmation applies
the kept plan if those records are as they were, and otherwise asks for a new preview.
"""

import codecs
import csv
import hashlib
import io
import itertools
import json
import pyexpat
import zipfile
import zlib
from dataclasses import dataclass, field
from decimal import Decimal

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse as safe_iterparse
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import EmailValidator, URLValidator, validate_slug
from django.db import connection, models, transaction
from django.db.models import F, Lookup
from django.utils import timezone
from openpyxl import load_workbook
from openpyxl.worksheet._reader import ROW_TAG, WorkSheetParser
from simple_history.utils import bulk_update_with_history

from actors.models import Actor
from actors.scopes import EVERYTHING
from actors.validators import validate_siret
from commitments.models import MAX_YEAR, MIN_YEAR, Commitment
from public.cache import figures_changed
from reports.exports import ActorsExporter, CommitmentsExporter
from strategy.models import Measure, Territory
from strategy.units import AmountError, Unit, parse_amount

MAX_BYTES = 10 * 1024 * 1024
# A file is read as a stream and refused, with a French message, beyond these caps: a
# small file must not be able to make the server build millions of rows.
MAX_ROWS = 50_000  # lines after the header, blank ones included
MAX_COLUMNS = 100
MAX_RECORD_CHARS = 1024 * 1024  # one CSV record, all its lines together
# One CSV cell. Below the csv module's own limit (131 072 by default), which is global to
# the process and which a library may raise (frictionless does): the cap is checked here.
MAX_FIELD_CHARS = 100_000
MAX_UNPACKED_BYTES = 50 * 1024 * 1024  # an XLSX's parts once decompressed, all together
MAX_SHEET_ELEMENTS = 3_000_000  # XML elements of a sheet (50 000 rows of 20 cells: 2 million)
MAX_PART_ELEMENTS = 600_000  # XML elements of any other part (shared strings, styles…)
# XML elements inside one row: Excel's 16 384 columns, each a cell, a value and a bit more.
MAX_ROW_ELEMENTS = 16_384 * 4
BATCH = 1000


class ImportFileError(Exception):
    """The file as a whole cannot be read; the message is for the user, in French."""


# Reading


def _number(value):
    return f"{value:,}".replace(",", " ")


def read_table(content: bytes):
    """(headers, [(line number, {header: text or value})]) from CSV or XLSX bytes.

    Lines are numbered among the non-blank ones, the header being line 1. The file is
    read line by line and refused beyond MAX_ROWS lines or MAX_COLUMNS columns; an XLSX's
    declared dimensions are ignored, and its XML is parsed by defusedxml (installed, so
    openpyxl uses it), which refuses entity declarations."""
    if not content:
        raise ImportFileError("Le fichier est vide.")
    if len(content) > MAX_BYTES:
        raise ImportFileError("Le fichier dépasse la taille maximale de 10 Mo.")
    if content.startswith(b"PK\x03\x04"):
        lines = _xlsx_lines(content)
    else:
        nul = content.find(b"\x00")
        if 0 <= nul < 8192:
            raise ImportFileError(
                "Ce fichier n'est ni un CSV ni un classeur XLSX lisible (contenu binaire)."
            )
        if nul >= 0:
            line = content.count(b"\n", 0, nul) + 1
            raise ImportFileError(
                f"Ce fichier contient un caractère nul (octet 0) à la ligne {_number(line)} : "
                "enregistrez-le de nouveau au format CSV depuis votre tableur."
            )
        lines = _csv_lines(content)
    headers, rows = None, []
    for number, cells in lines:
        if number > MAX_ROWS + 1:
            raise ImportFileError(
                f"Le fichier dépasse {_number(MAX_ROWS)} lignes après l'en-tête : "
                "découpez-le en plusieurs fichiers."
            )
        cells = list(cells)
        while cells and not _text(cells[-1]):
            cells.pop()
        if not cells:
            continue
        if len(cells) > MAX_COLUMNS:
            raise ImportFileError(
                f"La ligne {_number(number)} a plus de {MAX_COLUMNS} colonnes : "
                "gardez seulement les colonnes de l'export."
            )
        if any(isinstance(cell, str) and "\x00" in cell for cell in cells):
            raise ImportFileError(
                f"La ligne {_number(number)} contient un caractère nul (octet 0)."
            )
        if headers is None:
            headers = [_text(cell).lower() for cell in cells]
            continue
        cells += [None] * (len(headers) - len(cells))
        rows.append((len(rows) + 2, dict(zip(headers, cells, strict=False))))
    if headers is None:
        raise ImportFileError("Le fichier est vide.")
    return headers, rows


def _encoding(content):
    """utf-8-sig, utf-8 or, for what French Excel writes as "CSV (séparateur: point-virgule)",
    cp1252; checked in slices, without decoding the whole file at once."""
    if content.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(content)
    try:
        for start in range(0, len(content), 1024 * 1024):
            decoder.decode(view[start : start + 1024 * 1024])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


class _Records:
    """The lines of a text stream for csv.reader, refusing a record (all the lines the
    reader takes for one row) longer than MAX_RECORD_CHARS."""

    def __init__(self, stream):
        self.stream = stream
        self.length = 0

    def __iter__(self):
        return self

    def __next__(self):
        line = self.stream.readline(MAX_RECORD_CHARS + 1)
        if not line:
            raise StopIteration
        self.length += len(line)
        if self.length > MAX_RECORD_CHARS:
            raise ImportFileError(
                f"Une ligne du fichier dépasse {_number(MAX_RECORD_CHARS)} caractères : "
                "ce fichier CSV est mal formé."
            )
        return line


def _csv_lines(content):
    stream = io.TextIOWrapper(
        io.BytesIO(content), encoding=_encoding(content), errors="replace", newline=""
    )
    first_line = stream.readline(MAX_RECORD_CHARS)
    stream.seek(0)
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    records = _Records(stream)
    reader = csv.reader(records, delimiter=delimiter)
    number = 0
    try:
        for row in reader:
            number += 1
            records.length = 0
            if any(len(cell) > MAX_FIELD_CHARS for cell in row):
                raise ImportFileError(
                    f"La ligne {_number(number)} a une cellule de plus de "
                    f"{_number(MAX_FIELD_CHARS)} caractères : ce fichier CSV est mal formé."
                )
            yield number, row
    except csv.Error as error:
        raise ImportFileError(f"Ce fichier CSV est mal formé : {error}.") from error


class _Refused(Exception):
    pass


def _prescan(archive):
    """Counts the elements of every XML part and refuses entity declarations, before
    openpyxl builds anything: a few KB can otherwise hold millions of elements. The first
    sheet gets the row cap's worth, the rest far less.

    The count is of start tags in the bytes (`_start_tags`, at C speed: no Python call per
    element), an upper bound of what expat finds; expat then parses the part with no
    handler but the one refusing entities, which also refuses malformed XML.

    A part is XML by its content, not its name: openpyxl opens whatever the content
    types and relations name, `sheet1.XML` or `strings.bin` alike. Only parts that do not
    start like XML (images, printer settings) are left out."""
    for info in archive.infolist():
        with archive.open(info) as part:
            head = part.read(1024 * 1024)
            if not _looks_like_xml(head):
                continue
            in_sheets = "worksheets/" in info.filename.lower()
            limit = MAX_SHEET_ELEMENTS if in_sheets else MAX_PART_ELEMENTS
            count, carry, wide = 0, b"", _utf16(head)

            def entity(*_args):
                raise _Refused("entities")

            parser = pyexpat.ParserCreate()
            parser.EntityDeclHandler = entity
            chunk = head
            while chunk:
                counted, carry = _start_tags(carry + chunk, utf16=wide)
                count += counted
                if count > limit:
                    raise _Refused("elements")
                parser.Parse(chunk, False)
                chunk = part.read(1024 * 1024)
            parser.Parse(b"", True)


def _start_tags(data, *, utf16=False):
    """(start tags in `data`, the byte kept for the next chunk): every `<` that does not
    open an end tag, a declaration, a comment or a processing instruction. An upper bound
    of the elements in UTF-8, ASCII and Latin-1 (a `<` in a comment or CDATA counts as one
    more); a final `<` waits for the next chunk to say what it opens. In UTF-16 the byte
    after a `<` may belong to a name's character (U+2126 `Ω` is 21 26 in big-endian, the
    `!` of `<!`): every `<` counts there."""
    if utf16:
        return data.count(b"<"), b""
    if data.endswith(b"<"):
        return _start_tags(data[:-1])[0], b"<"
    others = data.count(b"</") + data.count(b"<!") + data.count(b"<?")
    return data.count(b"<") - others, b""


def _utf16(head):
    """UTF-16 as expat reads it: a byte-order mark, or a `<` (after blanks) in either byte
    order, where a zero byte is the other half of each character."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    start = head[:512]
    return any(
        start.decode(order, errors="replace").lstrip(" \t\r\n").startswith("<")
        for order in ("utf-16-le", "utf-16-be")
    )


def _looks_like_xml(head):
    if _utf16(head):  # UTF-16, which expat reads too, with or without a byte-order mark
        return True
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


def _xlsx_lines(content):
    """The first sheet's rows, numbered as the sheet numbers them, each cut at
    MAX_COLUMNS + 1 cells. Every row element counts, so rows repeating a number cannot
    make the reader loop unseen; parsed rows are dropped from the tree at once."""
    unreadable = "Ce classeur XLSX est illisible ou endommagé."
    wide_row = (
        "Une ligne de ce classeur XLSX compte plus de cellules que les 16 384 colonnes "
        "d'un tableur : le fichier est refusé."
    )
    entities = (
        "Ce classeur XLSX contient des déclarations d'entités XML, refusées par "
        "sécurité : enregistrez-le de nouveau depuis votre tableur."
    )
    too_big = (
        "Ce classeur XLSX est trop volumineux une fois décompressé (au plus "
        f"{_number(MAX_ROWS)} lignes et {MAX_UNPACKED_BYTES // (1024 * 1024)} Mo) : "
        "découpez-le en plusieurs fichiers."
    )
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > MAX_UNPACKED_BYTES:
            raise ImportFileError(too_big)
        _prescan(archive)
    except ImportFileError:
        raise
    except _Refused as refused:
        raise ImportFileError(entities if str(refused) == "entities" else too_big) from None
    except Exception as error:  # noqa: BLE001 - zipfile and expat raise many kinds
        raise ImportFileError(unreadable) from error
    workbook = None
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        # openpyxl's parser turns one <row> into cells; the loop is ours, so that the
        # declared dimensions are never used and nothing already read stays in memory.
        cells_of = WorkSheetParser(
            None,
            sheet._shared_strings,
            data_only=True,
            epoch=workbook.epoch,
            date_formats=workbook._date_formats,
            timedelta_formats=workbook._timedelta_formats,
        ).parse_row
        stack, in_row, elements, in_this_row = [], 0, 0, 0
        with sheet._get_source() as source:
            for event, element in safe_iterparse(source, events=("start", "end")):
                if event == "start":
                    stack.append(element)
                    if element.tag == ROW_TAG:
                        in_row, elements, in_this_row = in_row + 1, elements + 1, 0
                    elif in_row:
                        # A row is kept whole until its end: bound what one row may hold.
                        in_this_row += 1
                        if in_this_row > MAX_ROW_ELEMENTS:
                            raise ImportFileError(wide_row)
                    continue
                stack.pop()
                if element.tag == ROW_TAG:
                    in_row -= 1
                    number, cells = cells_of(element)
                    if elements > MAX_ROWS + 1:
                        number = max(number, elements)
                    # A cell beyond the cap lands in the last place, where read_table sees it.
                    width = min(max((c["column"] for c in cells), default=0), MAX_COLUMNS + 1)
                    values = [None] * width
                    for cell in cells:
                        if cell["value"] is not None:
                            values[min(cell["column"], MAX_COLUMNS + 1) - 1] = cell["value"]
                    yield number, values
                if not in_row and stack:
                    stack[-1].remove(element)
    except ImportFileError:
        raise
    except DefusedXmlException as error:
        raise ImportFileError(entities) from error
    except Exception as error:  # noqa: BLE001 - openpyxl raises many kinds on a damaged file
        raise ImportFileError(unreadable) from error
    finally:
        if workbook is not None:
            workbook.close()


def _text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


# Parsing cells


def parse_decimal(value):
    """A number from a spreadsheet cell, or a text spelled as in the forms
    (strategy.units.parse_amount: `1 000,50`, `1000.50`, `1 500 000 €`)."""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return Decimal(str(value))
    try:
        return parse_amount(_text(value))
    except AmountError as error:
        if error.code == "too_long":
            raise ValueError("Ce nombre est trop long.") from None
        if error.code == "max_decimal_places":
            raise ValueError(
                f"« {_text(value)} » a plus de deux décimales "
                "(les milliers se séparent par une espace, pas par un point)."
            ) from None
        raise ValueError(f"« {_text(value)} » n'est pas un nombre.") from None


def parse_int(value):
    number = parse_decimal(value)
    if number != number.to_integral_value():
        raise ValueError(f"« {_text(value)} » n'est pas un nombre entier.")
    return int(number)


YES = {"oui", "o", "vrai", "true", "1", "yes", "x"}
NO = {"non", "n", "faux", "false", "0", "no", ""}


def parse_bool(value):
    text = _text(value).lower()
    if text in YES:
        return True
    if text in NO:
        return False
    raise ValueError(f"« {_text(value)} » : attendu « oui » ou « non ».")


class Choices:
    """A TextChoices value from its code or its French label, case-insensitively; the
    labels are translated once, not once a row."""

    def __init__(self, choices, what):
        self.codes = {}
        for code, label in reversed(choices):  # the first choice wins, as it always did
            self.codes[str(label).lower()] = code
            self.codes[code.lower()] = code
        self.labels = ", ".join(f"« {label} »" for _code, label in choices)
        self.what = what

    def parse(self, value):
        code = self.codes.get(_text(value).lower())
        if code is None:
            raise ValueError(f"« {_text(value)} » n'est pas un {self.what} connu ({self.labels}).")
        return code


# Plans


class StalePlan(Exception):
    """The records a kept plan read have changed since its preview: plan again."""


@dataclass
class PlannedRow:
    line: int
    action: str = ""  # "create", "update", "unchanged" or "error"
    pk: int | None = None  # the record updated or left unchanged
    # What a create writes, or the fields an update changes, by attname (`actor_id`).
    values: dict = field(default_factory=dict)
    label: str = ""  # how the preview names the record
    changes: list = field(default_factory=list)  # the model fields an update changes
    change_labels: list = field(default_factory=list)  # the same, as the preview names them
    errors: list = field(default_factory=list)  # [(column, message)]
    key: tuple | None = None  # what makes two rows the same record

    def error(self, column, message):
        self.errors.append((column, message))
        self.action = "error"


@dataclass
class Plan:
    rows: list = field(default_factory=list)
    file_errors: list = field(default_factory=list)  # [(column or "", message)]
    lookup: dict = field(default_factory=dict)  # what the file names, to read it again
    stamp: str = ""  # a digest of the records the plan read

    def of(self, action):
        return [row for row in self.rows if row.action == action]

    @property
    def errors(self):
        """[(line, column, message)]; the header's problems are on line 1."""
        errors = [(1, column, message) for column, message in self.file_errors]
        for row in self.rows:
            errors += [(row.line, column, message) for column, message in row.errors]
        return errors

    @property
    def is_valid(self):
        return not self.file_errors and not any(row.errors for row in self.rows)

    def counts(self):
        return {action: len(self.of(action)) for action in ("create", "update", "unchanged")}

    def keep(self) -> bytes:
        """The plan as stored with its pending file: compressed JSON, which only gives
        back data (a pickle would run whatever code the stored bytes named)."""
        rows = [[r.line, r.action, r.pk, r.values, r.changes, r.label] for r in self.rows]
        data = {"lookup": self.lookup, "stamp": self.stamp, "rows": rows}
        text = json.dumps(data, cls=DjangoJSONEncoder, separators=(",", ":"))
        return zlib.compress(text.encode(), 1)  # the fastest level: it is kept two hours


class AnyOf(Lookup):
    """`column = ANY(%s)`: a list sent to PostgreSQL as one array parameter, which costs
    far less to build, send and plan than an `IN` of thousands of placeholders."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", [*params, list(self.rhs)]


def _named(queryset, **lists):
    """`queryset` filtered on each `field=[values]`, as querysets to read in turn: one on
    PostgreSQL, where each list is an array; elsewhere as many as it takes to keep every
    `IN` under the database's limit of parameters (SQLite counts them)."""
    if not all(lists.values()):
        return  # an empty list matches nothing: no query
    if connection.vendor == "postgresql":
        yield queryset.filter(*(AnyOf(F(name), values) for name, values in lists.items()))
        return
    size = 400
    chunked = [
        [(name, values[start : start + size]) for start in range(0, len(values), size)]
        for name, values in lists.items()
    ]
    for combination in itertools.product(*chunked):
        yield queryset.filter(**{f"{name}__in": values for name, values in combination})


class Importer:
    model = None
    exporter = None
    required = ()
    column_of = {}  # model field → the column its errors are reported in
    label_field = ""  # the field that names a record in the preview

    def __init__(self, scope=EVERYTHING):
        # A member of staff imports into their territory only (actors.scopes): a row
        # outside it is an error on that row.
        self.scope = scope
        concrete = [f for f in self.model._meta.concrete_fields if not f.primary_key]
        self.fields = {f.attname: f for f in concrete}
        self.defaults = {f.attname: f.get_default() for f in concrete}
        # The validators full_clean would run (lengths, ranges, digits, one line…);
        # foreign keys are resolved from loaded records instead.
        self.validated = {f.attname: f for f in concrete if f.validators and not f.is_relation}

    def out_of_scope(self, planned, column, territory):
        """Whether `territory` is outside the importer's scope; if so, the row says so."""
        if self.scope.covers(territory.pk):
            return False
        planned.error(
            column,
            f"Le territoire « {territory.name} » est hors de votre territoire "
            f"({self.scope.label}) : vous n'y importez rien.",
        )
        return True

    @property
    def accepted(self):
        return self.exporter.headers

    def plan(self, content):
        headers, rows = read_table(content)
        plan = Plan()
        unknown = [h for h in headers if h not in self.accepted]
        missing = [c for c in self.required if c not in headers]
        duplicated = sorted({h for h in headers if headers.count(h) > 1})
        for column in unknown:
            plan.file_errors.append((column, f"Colonne inconnue « {column} »."))
        for column in missing:
            plan.file_errors.append((column, f"Colonne obligatoire manquante « {column} »."))
        for column in duplicated:
            plan.file_errors.append((column, f"Colonne « {column} » en double."))
        if plan.file_errors:
            return plan
        if not rows:
            plan.file_errors.append(("", "Le fichier ne contient aucune ligne après l'en-tête."))
            return plan
        plan.lookup = self.lookup_of(rows)
        plan.stamp = self.load(plan.lookup)
        seen = {}
        for line, cells in rows:
            planned = PlannedRow(line=line)
            self.plan_row(planned, cells)
            if planned.key is not None and not planned.errors:
                if planned.key in seen:
                    planned.error(
                        "",
                        "Ligne en double : même engagement ou acteur que la ligne "
                        f"{seen[planned.key]}.",
                    )
                else:
                    seen[planned.key] = line
            plan.rows.append(planned)
        return plan

    def lookup_of(self, rows) -> dict:
        """What the rows name (slugs, ids, titles…), as lists: load() reads only that."""
        raise NotImplementedError

    def load(self, lookup) -> str:
        """Load, in a few queries, the records `lookup` names; returns the stamp, a digest
        of every record read, in the order read (each query is ordered)."""
        self._digest = hashlib.sha256()
        # The importer's scope too: an agent moved to another territory plans again.
        self.stamped([(self.scope.everything, getattr(self.scope.territory, "pk", None))])
        self.read_records(lookup)
        return self._digest.hexdigest()

    def read_records(self, lookup):
        raise NotImplementedError

    def stamped(self, rows):
        """The rows, once counted in the stamp."""
        rows = list(rows)
        for row in rows:
            self._digest.update(repr(row).encode())
        return rows

    def plan_row(self, planned, cells):
        raise NotImplementedError

    def _settle(self, planned, current, values):
        """Check `values` as full_clean would, and compare them with the current record
        (a dict of its values, None for a new one): create, update or unchanged."""
        if planned.errors:
            return
        for name, value in values.items():
            model_field = self.validated.get(name)
            if model_field is None:
                continue
            try:
                model_field.run_validators(value)
            except ValidationError as error:
                column = self.column_of.get(model_field.name, "")
                for message in error.messages:
                    planned.error(column, message)
        merged = {**self.defaults, **(current or {}), **values}
        self.check_rules(planned, merged)
        if planned.errors:
            return
        planned.label = merged[self.label_field]
        if current is None:
            planned.action, planned.values = "create", values
            return
        changed = {name: value for name, value in values.items() if current[name] != value}
        planned.pk, planned.values = current["pk"], changed
        planned.changes = [self.fields[name].name for name in changed]
        planned.change_labels = [str(self.fields[name].verbose_name) for name in changed]
        planned.action = "update" if changed else "unchanged"

    def check_rules(self, planned, merged):
        """The model's own rules (its clean()) for the record as it would be saved."""

    def _report(self, planned, error):
        for model_field, messages in error.message_dict.items():
            column = self.column_of.get(model_field, "")
            for message in messages:
                planned.error(column, message)

    @transaction.atomic
    def apply(self, plan, *, by, stamped=False):
        """Write every create and update, with their history, or nothing.

        For a kept plan (`stamped`), the records to update are locked first, then every
        record the plan read is read again: StalePlan if any has changed since."""
        if not plan.is_valid:
            raise ValueError("A plan with errors cannot be applied")
        updates = plan.of("update")
        records = {}
        if updates:
            locked = self.model.objects.select_for_update()
            records = locked.in_bulk([row.pk for row in updates])
        if stamped and self.load(plan.lookup) != plan.stamp:
            raise StalePlan
        creates = [self.model(**row.values) for row in plan.of("create")]
        if creates:
            self.model.objects.bulk_create(creates, batch_size=BATCH)
            write_history(self.model, [obj.pk for obj in creates], by=by)
        if updates:
            for row in updates:
                for name, value in row.values.items():
                    setattr(records[row.pk], name, value)
            fields = sorted({name for row in updates for name in row.changes})
            changed = [records[row.pk] for row in updates]
            bulk_update_with_history(changed, self.model, fields, batch_size=BATCH, default_user=by)
        figures_changed()  # bulk writes send no post_save signal
        return plan.counts()

    def confirm(self, kept, content, *, by):
        """Apply a kept plan (Plan.keep) if the records it read are as they were:
        (plan, counts). If not, or if no plan was kept, nothing is written and `content`
        is planned again: (the new plan, None)."""
        if kept:
            plan = self.restore(kept)
            try:
                return plan, self.apply(plan, by=by, stamped=True)
            except StalePlan:
                pass
        return self.plan(content), None

    def restore(self, kept: bytes) -> Plan:
        """A plan stored by Plan.keep(), its values typed again by the model's fields
        (JSON gives back text, numbers and booleans: only amounts need it)."""
        data = json.loads(zlib.decompress(kept))
        typed = {
            name: model_field.to_python
            for name, model_field in self.fields.items()
            if not isinstance(model_field, JSON_NATIVE)
        }
        rows = [
            PlannedRow(
                line=line,
                action=action,
                pk=pk,
                values={
                    name: typed[name](value) if name in typed else value
                    for name, value in values.items()
                },
                changes=changes,
                label=label,
            )
            for line, action, pk, values, changes, label in data["rows"]
        ]
        return Plan(rows=rows, lookup=data["lookup"], stamp=data["stamp"])


# Fields whose values JSON gives back as they were (a foreign key's is its id).
JSON_NATIVE = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BooleanField,
    models.ForeignKey,
)


def write_history(model, pks, *, by):
    """The creation history rows of the records `pks`, as simple-history writes them
    (bulk_history_create: type "+", the user, no reason, the fields it tracks), copied
    from the table in one statement rather than built as one historical instance each."""
    historical = model.history.model
    quote = connection.ops.quote_name
    columns = [quote(f.column) for f in historical.tracked_fields]
    history = ["history_date", "history_type", "history_user_id", "history_change_reason"]
    statement = (
        f"INSERT INTO {quote(historical._meta.db_table)} "
        f"({', '.join(columns)}, {', '.join(quote(c) for c in history)}) "
        f"SELECT {', '.join(columns)}, %s, '+', %s, NULL FROM {quote(model._meta.db_table)} "
        f"WHERE {quote(model._meta.pk.column)} "
    )
    when, user = timezone.now(), getattr(by, "pk", None)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(statement + "= ANY(%s)", [when, user, list(pks)])
            return
        for start in range(0, len(pks), 500):
            chunk = pks[start : start + 500]
            placeholders = ", ".join(["%s"] * len(chunk))
            cursor.execute(statement + f"IN ({placeholders})", [when, user, *chunk])


def _file_ids(rows):
    """The ids the rows name; one no database column can hold names no record."""
    ids = set()
    for _line, cells in rows:
        try:
            if _text(cells.get("id")):
                ids.add(parse_int(cells.get("id")))
        except ValueError:
            pass
    return sorted(value for value in ids if 0 < value < 2**63)


def _territory_fields(territory):
    return (territory.pk, territory.code, territory.name, territory.parent_id)


class CommitmentImporter(Importer):
    model = Commitment
    exporter = CommitmentsExporter()
    required = ("mesure", "acteur_slug", "code_territoire", "annee", "intitule", "prevu")
    label_field = "title"
    column_of = {
        "actor": "acteur_slug",
        "measure": "mesure",
        "territory": "code_territoire",
        "year": "annee",
        "title": "intitule",
        "description": "description",
        "planned_amount": "prevu",
        "status": "statut",
        "closing_note": "note_cloture",
        "is_public": "public",
    }
    # What a row is compared with; delivered_amount for the rules of statuses. Always
    # named: another table's generated columns stay out of the stamp.
    FIELDS = (
        "pk",
        "actor_id",
        "measure_id",
        "territory_id",
        "year",
        "title",
        "description",
        "planned_amount",
        "delivered_amount",
        "status",
        "closing_note",
        "is_public",
    )

    def __init__(self, scope=EVERYTHING):
        super().__init__(scope)
        self.statuses = Choices(Commitment.Status.choices, "statut")

    def lookup_of(self, rows):
        slugs, names, titles = set(), set(), set()
        for _line, cells in rows:
            slug = _text(cells.get("acteur_slug")).lower()
            if slug:
                slugs.add(slug)
            else:  # a row names its actor by name only when it has no slug
                names.add(_text(cells.get("acteur")))
            titles.add(_text(cells.get("intitule")))
        return {
            "slugs": sorted(slugs - {""}),
            "names": sorted(names - {""}),
            "titles": sorted(titles - {""}),
            "ids": _file_ids(rows),
        }

    def read_records(self, lookup):
        self.measures, self.measure_of = {}, {}
        for measure in Measure.objects.order_by("pk"):
            self.stamped([(measure.pk, measure.slug, measure.name, measure.unit)])
            self.measures[measure.slug.lower()] = measure
            self.measures[measure.name.lower()] = measure
            self.measure_of[measure.pk] = measure
        self.territories = list(Territory.objects.order_by("pk"))
        self.stamped(_territory_fields(t) for t in self.territories)
        visible = Actor.objects.in_scope(self.scope).order_by("pk").values("pk", "slug", "name")
        actors = {}
        for field_name in ("slug", "name"):
            for queryset in _named(visible, **{field_name: lookup[f"{field_name}s"]}):
                actors |= {a["pk"]: a for a in queryset}
        names = {name.lower() for name in lookup["names"]}
        self.actors_by_slug, self.actors_by_name = {}, {}
        for pk in sorted(actors):
            actor = self.stamped([actors[pk]])[0]
            self.actors_by_slug[actor["slug"].lower()] = actor
            if actor["name"].lower() in names:
                self.actors_by_name.setdefault(actor["name"].lower(), []).append(actor)
        in_scope = Commitment.objects.in_scope(self.scope).order_by("pk").values(*self.FIELDS)
        self.by_id = {}
        for queryset in _named(in_scope, pk=lookup["ids"]):
            self.by_id |= {c["pk"]: c for c in self.stamped(queryset)}
        self.by_key = {}
        for queryset in _named(in_scope, actor_id=sorted(actors), title=lookup["titles"]):
            for c in self.stamped(queryset):
                key = (c["actor_id"], c["measure_id"], c["territory_id"], c["year"], c["title"])
                self.by_key[key] = c

    def _actor(self, planned, cells):
        slug = _text(cells.get("acteur_slug")).lower()
        if slug:
            actor = self.actors_by_slug.get(slug)
            if actor is None:
                planned.error(
                    "acteur_slug", f"Acteur inconnu « {_text(cells.get('acteur_slug'))} »."
                )
            return actor
        matches = self.actors_by_name.get(_text(cells.get("acteur")).lower(), [])
        if len(matches) == 1:
            return matches[0]
        planned.error("acteur_slug", "Acteur manquant ou ambigu : indiquez son acteur_slug.")
        return None

    def _territory(self, planned, cells):
        code = _text(cells.get("code_territoire"))
        name = _text(cells.get("territoire")).lower()
        matches = [t for t in self.territories if t.code == code]
        if len(matches) > 1:
            matches = [t for t in matches if t.name.lower() == name]
        if not code and name:
            matches = [t for t in self.territories if t.name.lower() == name]
        if len(matches) == 1:
            return matches[0]
        planned.error("code_territoire", f"Territoire inconnu « {code or name} ».")
        return None

    def plan_row(self, planned, cells):
        values = {}
        measure = self.measures.get(_text(cells.get("mesure")).lower())
        if measure is None:
            planned.error("mesure", f"Mesure inconnue « {_text(cells.get('mesure'))} ».")
        actor = self._actor(planned, cells)
        territory = self._territory(planned, cells)
        if territory is not None:
            self.out_of_scope(planned, "code_territoire", territory)
        parsers = {
            "annee": ("year", parse_int),
            "prevu": ("planned_amount", parse_decimal),
        }
        for column, (name, parser) in parsers.items():
            try:
                values[name] = parser(cells.get(column))
            except ValueError as error:
                planned.error(column, str(error))
        if "planned_amount" in values and values["planned_amount"] < 0:
            planned.error("prevu", "Le montant prévu ne peut pas être négatif.")
        if "year" in values and not MIN_YEAR <= values["year"] <= MAX_YEAR:
            planned.error("annee", f"L'année doit être comprise entre {MIN_YEAR} et {MAX_YEAR}.")
        values["title"] = _text(cells.get("intitule"))
        if not values["title"]:
            planned.error("intitule", "L'intitulé est obligatoire.")
        if "description" in cells:
            values["description"] = _text(cells.get("description"))
        if "statut" in cells and _text(cells.get("statut")):
            try:
                values["status"] = self.statuses.parse(cells["statut"])
            except ValueError as error:
                planned.error("statut", str(error))
        if "note_cloture" in cells:
            values["closing_note"] = _text(cells.get("note_cloture"))
        if "public" in cells and _text(cells.get("public")):
            try:
                values["is_public"] = parse_bool(cells["public"])
            except ValueError as error:
                planned.error("public", str(error))
        if planned.errors:
            return
        values |= {"actor_id": actor["pk"], "measure_id": measure.pk, "territory_id": territory.pk}
        current = None
        raw_id = _text(cells.get("id"))
        if raw_id:
            try:
                current = self.by_id.get(parse_int(raw_id))
            except ValueError:
                current = None
            if current is None:
                planned.error("id", f"Aucun engagement n'a l'identifiant « {raw_id} ».")
                return
        else:
            key = (actor["pk"], measure.pk, territory.pk, values["year"], values["title"])
            current = self.by_key.get(key)
        planned.key = (
            ("id", current["pk"])
            if current
            else (actor["pk"], measure.pk, territory.pk, values["year"], values["title"])
        )
        self._settle(planned, current, values)

    def check_rules(self, planned, merged):
        status, note = merged["status"], merged["closing_note"]
        whole = Unit(self.measure_of[merged["measure_id"]].unit).is_whole
        amount = merged["planned_amount"]
        if (
            status == Commitment.Status.PLANNED
            and not note
            and not merged["delivered_amount"]
            and (not whole or amount == amount.to_integral_value())
        ):
            return  # what most rows are: nothing Commitment.clean() could refuse
        probe = Commitment(
            measure=self.measure_of[merged["measure_id"]],
            planned_amount=amount,
            delivered_amount=merged["delivered_amount"],
            status=status,
            closing_note=note,
        )
        try:
            probe.clean()
        except ValidationError as error:
            self._report(planned, error)


# Until issue 13 the acteurs report called "secteur_public" "public", which read as
# "shown to the public".
LEGACY_SECTOR_COLUMN = "public"


class ActorImporter(Importer):
    model = Actor
    exporter = ActorsExporter()
    required = ("nom", "slug", "type_acteur")
    label_field = "name"
    column_of = {
        "name": "nom",
        "slug": "slug",
        "kind": "type_acteur",
        "is_public_sector": "secteur_public",
        "is_institutional": "institutionnel",
        "territory": "code_territoire",
        "siret": "siret",
        "website": "site_internet",
        "email": "courriel",
        "description": "description",
    }
    FIELDS = (
        "pk",
        "name",
        "slug",
        "kind",
        "is_public_sector",
        "is_institutional",
        "territory_id",
        "siret",
        "website",
        "email",
        "description",
    )
    email_validator = EmailValidator(message="Adresse électronique invalide.")
    url_validator = URLValidator(message="Adresse de site internet invalide.")

    @property
    def accepted(self):
        # Files exported before the column was renamed still import.
        return [*self.exporter.headers, LEGACY_SECTOR_COLUMN]

    def __init__(self, scope=EVERYTHING):
        super().__init__(scope)
        self.kinds = Choices(Actor.Kind.choices, "type d'acteur")

    def lookup_of(self, rows):
        slugs, sirets = set(), set()
        for _line, cells in rows:
            slugs.add(_text(cells.get("slug")))
            sirets.add(_text(cells.get("siret")).replace(" ", ""))
        return {
            "slugs": sorted(slugs - {""}),
            "sirets": sorted(sirets - {""}),
            "ids": _file_ids(rows),
        }

    def read_records(self, lookup):
        self.territories = list(Territory.objects.order_by("pk"))
        self.territory_of = {t.pk: t for t in self.territories}
        self.stamped(_territory_fields(t) for t in self.territories)
        actors = Actor.objects.order_by("pk").values(*self.FIELDS)
        found = {}
        for name, values in (("slug", "slugs"), ("pk", "ids"), ("siret", "sirets")):
            for queryset in _named(actors, **{name: lookup[values]}):
                found |= {a["pk"]: a for a in queryset}
        found = dict(sorted(found.items()))
        self.stamped(found.values())
        self.editable = set()
        editable = Actor.objects.editable_in(self.scope).order_by("pk")
        for queryset in _named(editable, pk=list(found)):
            self.editable |= set(self.stamped(queryset.values_list("pk", flat=True)))
        self.by_id = found
        self.by_slug = {actor["slug"]: actor for actor in found.values()}
        self.sirets = {actor["siret"]: actor["pk"] for actor in found.values() if actor["siret"]}
        self.file_sirets = {}

    def plan_row(self, planned, cells):
        values = {"name": _text(cells.get("nom")), "slug": _text(cells.get("slug"))}
        if not values["name"]:
            planned.error("nom", "Le nom est obligatoire.")
        try:
            validate_slug(values["slug"])
        except ValidationError:
            planned.error(
                "slug",
                "Le slug ne peut contenir que des lettres non accentuées, "
                "des chiffres, des tirets et des tirets bas.",
            )
        try:
            values["kind"] = self.kinds.parse(cells.get("type_acteur"))
        except ValueError as error:
            planned.error("type_acteur", str(error))
        for column, name in (
            ("secteur_public", "is_public_sector"),
            (LEGACY_SECTOR_COLUMN, "is_public_sector"),
            ("institutionnel", "is_institutional"),
        ):
            if column in cells:
                try:
                    values[name] = parse_bool(cells.get(column))
                except ValueError as error:
                    planned.error(column, str(error))
        code, territory_name = _text(cells.get("code_territoire")), _text(cells.get("territoire"))
        if code or territory_name:
            matches = (
                [t for t in self.territories if t.code == code]
                if code
                else [t for t in self.territories if t.name.lower() == territory_name.lower()]
            )
            if len(matches) > 1:
                matches = [t for t in matches if t.name.lower() == territory_name.lower()]
            if len(matches) == 1:
                values["territory_id"] = matches[0].pk
            else:
                planned.error(
                    "code_territoire", f"Territoire inconnu « {code or territory_name} »."
                )
        elif "code_territoire" in cells or "territoire" in cells:
            values["territory_id"] = None
        for column, name in (
            ("siret", "siret"),
            ("site_internet", "website"),
            ("courriel", "email"),
            ("description", "description"),
        ):
            if column in cells:
                values[name] = (
                    _text(cells.get(column)).replace(" ", "")
                    if name == "siret"
                    else _text(cells.get(column))
                )
        if values.get("siret"):
            try:
                validate_siret(values["siret"])
            except ValidationError as error:
                planned.error("siret", " ".join(error.messages))
        if values.get("email"):
            try:
                self.email_validator(values["email"])
            except ValidationError as error:
                planned.error("courriel", " ".join(error.messages))
        if values.get("website"):
            try:
                self.url_validator(values["website"])
            except ValidationError as error:
                planned.error("site_internet", " ".join(error.messages))
        if planned.errors:
            return
        raw_id = _text(cells.get("id"))
        current = None
        if raw_id:
            try:
                current = self.by_id.get(parse_int(raw_id))
            except ValueError:
                current = None
            if current is None:
                planned.error("id", f"Aucun acteur n'a l'identifiant « {raw_id} ».")
                return
            other = self.by_slug.get(values["slug"])
            if other is not None and other["pk"] != current["pk"]:
                planned.error(
                    "slug", f"Le slug « {values['slug']} » est déjà celui d'un autre acteur."
                )
                return
        else:
            current = self.by_slug.get(values["slug"])
        planned.key = ("slug", values["slug"])
        if current is not None and current["pk"] not in self.editable:
            # Another team's actor, as one's own `acteurs` report lists it: left as it is,
            # the row imports unchanged; a row that would change it is refused.
            if any(current[name] != value for name, value in values.items()):
                planned.error(
                    "slug",
                    f"L'acteur « {current['name']} » relève d'un autre territoire que le vôtre "
                    f"({self.scope.label}) : son équipe seule le modifie.",
                )
            else:
                planned.action, planned.pk = "unchanged", current["pk"]
                planned.label = current["name"]
            return
        if not self.scope.everything and not self._in_scope(planned, current, values):
            return
        siret = values.get("siret")
        if siret:
            owner = self.sirets.get(siret)
            if owner is not None and (current is None or owner != current["pk"]):
                planned.error("siret", f"Le SIRET {siret} est déjà celui d'un autre acteur.")
                return
            if siret in self.file_sirets:
                planned.error(
                    "siret", f"Le SIRET {siret} figure déjà ligne {self.file_sirets[siret]}."
                )
                return
            self.file_sirets[siret] = planned.line
        self._settle(planned, current, values)

    def _in_scope(self, planned, current, values):
        """A departmental team's actor has a territory, theirs or one it contains."""
        if "territory_id" in values:
            territory_id = values["territory_id"]
        else:
            territory_id = current["territory_id"] if current is not None else None
        territory = self.territory_of.get(territory_id)
        if territory is None:
            planned.error(
                "code_territoire",
                f"Le territoire est obligatoire : indiquez celui de l'acteur ({self.scope.label} "
                "ou un territoire qu'il contient).",
            )
            return False
        return not self.out_of_scope(planned, "code_territoire", territory)


IMPORTERS = {"commitments": CommitmentImporter, "actors": ActorImporter}
