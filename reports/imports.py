"""Spreadsheet import of actors and commitments, with the same columns as the exports.

read_table() turns an uploaded file (CSV in either dialect, UTF-8 with or without BOM or
Windows-1252, or XLSX) into rows; an importer plans what each row would create, update
or leave unchanged, with every error by line and column; apply() writes the plan in one
transaction, with history, or nothing.
"""

import codecs
import csv
import io
import pyexpat
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse as safe_iterparse
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator, validate_slug
from django.db import models, transaction
from openpyxl import load_workbook
from openpyxl.worksheet._reader import ROW_TAG, WorkSheetParser
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from actors.models import Actor
from actors.scopes import EVERYTHING
from actors.validators import validate_siret
from commitments.models import MAX_YEAR, MIN_YEAR, Commitment
from public.cache import figures_changed
from reports.exports import ActorsExporter, CommitmentsExporter
from strategy.models import Measure, Territory
from strategy.units import AmountError, parse_amount

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
    """Counts the elements of every XML part with expat (fast, nothing kept) and refuses
    entity declarations, before openpyxl builds anything: a few KB can otherwise hold
    millions of elements. The first sheet gets the row cap's worth, the rest far less.

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
            count = 0

            def start(_name, _attributes, limit=limit):
                nonlocal count
                count += 1
                if count > limit:
                    raise _Refused("elements")

            def entity(*_args):
                raise _Refused("entities")

            parser = pyexpat.ParserCreate()
            parser.StartElementHandler = start
            parser.EntityDeclHandler = entity
            chunk = head
            while chunk:
                parser.Parse(chunk, False)
                chunk = part.read(1024 * 1024)
            parser.Parse(b"", True)


def _looks_like_xml(head):
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16, which expat reads too
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


def parse_choice(value, choices, what):
    """A TextChoices value from its code or its French label, case-insensitively."""
    text = _text(value).lower()
    for code, label in choices:
        if text in (code.lower(), str(label).lower()):
            return code
    labels = ", ".join(f"« {label} »" for _code, label in choices)
    raise ValueError(f"« {_text(value)} » n'est pas un {what} connu ({labels}).")


# Plans


@dataclass
class PlannedRow:
    line: int
    action: str = ""  # "create", "update", "unchanged" or "error"
    obj: object = None
    changes: list = field(default_factory=list)
    errors: list = field(default_factory=list)  # [(column, message)]

    def error(self, column, message):
        self.errors.append((column, message))
        self.action = "error"


@dataclass
class Plan:
    rows: list = field(default_factory=list)
    file_errors: list = field(default_factory=list)  # [(column or "", message)]

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


class Importer:
    model = None
    exporter = None
    required = ()
    writable = ()  # model fields an update may change

    def __init__(self, scope=EVERYTHING):
        # A member of staff imports into their territory only (actors.scopes): a row
        # outside it is an error on that row.
        self.scope = scope

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
        self.prepare(rows)
        seen = {}
        for line, cells in rows:
            planned = PlannedRow(line=line)
            self.plan_row(planned, cells)
            key = getattr(planned, "key", None)
            if key is not None and not planned.errors:
                if key in seen:
                    planned.error(
                        "", f"Ligne en double : même engagement ou acteur que la ligne {seen[key]}."
                    )
                else:
                    seen[key] = line
            plan.rows.append(planned)
        return plan

    def prepare(self, rows):
        """Load, in a few queries, everything the rows refer to."""

    def plan_row(self, planned, cells):
        raise NotImplementedError

    def _settle(self, planned, obj, values):
        """Compare with the existing object: create, update or unchanged."""
        if planned.errors:
            return
        if obj.pk is None:
            for name, value in values.items():
                setattr(obj, name, value)
            planned.action = "create"
        else:
            planned.changes = [
                name for name, value in values.items() if _current(obj, name, value) != value
            ]
            for name in planned.changes:
                setattr(obj, name, values[name])
            planned.action = "update" if planned.changes else "unchanged"
        try:
            # Foreign keys were resolved from loaded lists: no query a row to check them.
            obj.full_clean(
                exclude=self.foreign_keys, validate_unique=False, validate_constraints=False
            )
        except ValidationError as error:
            for column_field, messages in error.message_dict.items():
                column = self.column_of.get(column_field, "")
                for message in messages:
                    planned.error(column, message)
            return
        planned.obj = obj

    column_of = {}
    foreign_keys = ()

    @transaction.atomic
    def apply(self, plan, *, by):
        """Write every create and update, with their history, or nothing."""
        if not plan.is_valid:
            raise ValueError("A plan with errors cannot be applied")
        creates = [row.obj for row in plan.of("create")]
        updates = [row.obj for row in plan.of("update")]
        if creates:
            bulk_create_with_history(creates, self.model, batch_size=BATCH, default_user=by)
        if updates:
            fields = sorted({name for row in plan.of("update") for name in row.changes})
            bulk_update_with_history(updates, self.model, fields, batch_size=BATCH, default_user=by)
        figures_changed()  # bulk writes send no post_save signal
        return plan.counts()


def _current(obj, name, value):
    """The object's value for `name`, comparing related objects by key (no query)."""
    if isinstance(value, models.Model) or (
        value is None and isinstance(obj._meta.get_field(name), models.ForeignKey)
    ):
        current_id = getattr(obj, f"{name}_id")
        return value if (value is not None and current_id == value.pk) else current_id
    return getattr(obj, name)


class CommitmentImporter(Importer):
    model = Commitment
    foreign_keys = ("actor", "measure", "territory")
    exporter = CommitmentsExporter()
    required = ("mesure", "acteur_slug", "code_territoire", "annee", "intitule", "prevu")
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

    def prepare(self, rows):
        self.measures = {}
        for measure in Measure.objects.all():
            self.measures[measure.slug.lower()] = measure
            self.measures[measure.name.lower()] = measure
        slugs = {_text(cells.get("acteur_slug")).lower() for _line, cells in rows}
        names = {_text(cells.get("acteur")).lower() for _line, cells in rows}
        self.actors_by_slug = {}
        self.actors_by_name = {}
        visible = Actor.objects.in_scope(self.scope)
        for actor in visible.filter(slug__in=slugs) | visible.filter(
            name__in=[_text(cells.get("acteur")) for _line, cells in rows]
        ):
            self.actors_by_slug[actor.slug.lower()] = actor
            if actor.name.lower() in names:
                self.actors_by_name.setdefault(actor.name.lower(), []).append(actor)
        self.territories = list(Territory.objects.all())
        ids = set()
        for _line, cells in rows:
            try:
                if _text(cells.get("id")):
                    ids.add(parse_int(cells.get("id")))
            except ValueError:
                pass
        # An id no database column can hold names no commitment (and would overflow).
        ids = {value for value in ids if 0 < value < 2**63}
        in_scope = Commitment.objects.in_scope(self.scope)
        self.by_id = in_scope.in_bulk(ids)
        actor_ids = [a.pk for a in self.actors_by_slug.values()]
        self.by_key = {
            (c.actor_id, c.measure_id, c.territory_id, c.year, c.title): c
            for c in in_scope.filter(actor_id__in=actor_ids)
        }

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
                values["status"] = parse_choice(
                    cells["statut"], Commitment.Status.choices, "statut"
                )
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
        values |= {"actor": actor, "measure": measure, "territory": territory}
        obj = None
        raw_id = _text(cells.get("id"))
        if raw_id:
            try:
                obj = self.by_id.get(parse_int(raw_id))
            except ValueError:
                obj = None
            if obj is None:
                planned.error("id", f"Aucun engagement n'a l'identifiant « {raw_id} ».")
                return
        else:
            key = (actor.pk, measure.pk, territory.pk, values["year"], values["title"])
            obj = self.by_key.get(key)
        planned.key = (
            ("id", obj.pk)
            if obj
            else (actor.pk, measure.pk, territory.pk, values["year"], values["title"])
        )
        if obj is None:
            obj = Commitment()
        self._settle(planned, obj, values)


# Until issue 13 the acteurs report called "secteur_public" "public", which read as
# "shown to the public".
LEGACY_SECTOR_COLUMN = "public"


class ActorImporter(Importer):
    model = Actor
    foreign_keys = ("territory",)
    exporter = ActorsExporter()
    required = ("nom", "slug", "type_acteur")
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
    email_validator = EmailValidator(message="Adresse électronique invalide.")

    @property
    def accepted(self):
        # Files exported before the column was renamed still import.
        return [*self.exporter.headers, LEGACY_SECTOR_COLUMN]

    url_validator = URLValidator(message="Adresse de site internet invalide.")

    def prepare(self, rows):
        self.by_slug = {actor.slug: actor for actor in Actor.objects.all()}
        self.editable = set(Actor.objects.editable_in(self.scope).values_list("pk", flat=True))
        self.by_id = {actor.pk: actor for actor in self.by_slug.values()}
        self.sirets = {actor.siret: actor.pk for actor in self.by_slug.values() if actor.siret}
        self.territories = list(Territory.objects.all())
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
            values["kind"] = parse_choice(
                cells.get("type_acteur"), Actor.Kind.choices, "type d'acteur"
            )
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
                values["territory"] = matches[0]
            else:
                planned.error(
                    "code_territoire", f"Territoire inconnu « {code or territory_name} »."
                )
        elif "code_territoire" in cells or "territoire" in cells:
            values["territory"] = None
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
        obj = None
        if raw_id:
            try:
                obj = self.by_id.get(parse_int(raw_id))
            except ValueError:
                obj = None
            if obj is None:
                planned.error("id", f"Aucun acteur n'a l'identifiant « {raw_id} ».")
                return
            other = self.by_slug.get(values["slug"])
            if other is not None and other.pk != obj.pk:
                planned.error(
                    "slug", f"Le slug « {values['slug']} » est déjà celui d'un autre acteur."
                )
                return
        else:
            obj = self.by_slug.get(values["slug"])
        planned.key = ("slug", values["slug"])
        if obj is not None and obj.pk not in self.editable:
            # Another team's actor, as one's own `acteurs` report lists it: left as it is,
            # the row imports unchanged; a row that would change it is refused.
            if any(_current(obj, name, value) != value for name, value in values.items()):
                planned.error(
                    "slug",
                    f"L'acteur « {obj.name} » relève d'un autre territoire que le vôtre "
                    f"({self.scope.label}) : son équipe seule le modifie.",
                )
            else:
                planned.action, planned.obj = "unchanged", obj
            return
        if not self.scope.everything and not self._in_scope(planned, obj, values):
            return
        siret = values.get("siret")
        if siret:
            owner = self.sirets.get(siret)
            if owner is not None and (obj is None or owner != obj.pk):
                planned.error("siret", f"Le SIRET {siret} est déjà celui d'un autre acteur.")
                return
            if siret in self.file_sirets:
                planned.error(
                    "siret", f"Le SIRET {siret} figure déjà ligne {self.file_sirets[siret]}."
                )
                return
            self.file_sirets[siret] = planned.line
        self._settle(planned, obj or Actor(), values)

    def _in_scope(self, planned, obj, values):
        """A departmental team's actor has a territory, theirs or one it contains."""
        if "territory" in values:
            territory = values["territory"]
        else:
            territory_id = obj.territory_id if obj is not None else None
            territory = next((t for t in self.territories if t.pk == territory_id), None)
        if territory is None:
            planned.error(
                "code_territoire",
                f"Le territoire est obligatoire : indiquez celui de l'acteur ({self.scope.label} "
                "ou un territoire qu'il contient).",
            )
            return False
        return not self.out_of_scope(planned, "code_territoire", territory)


IMPORTERS = {"commitments": CommitmentImporter, "actors": ActorImporter}
