"""The open data files of /donnees/: the reports' exporters, cut down to the columns the
public pages show, over the rows the public pages show; and their Table Schemas
(frictionless's Table Schema, https://specs.frictionlessdata.io/table-schema/), made
from the same columns."""

from dataclasses import dataclass, field

from commitments.models import Delivery
from reports.export_writers import AMOUNT, COUNT, DATE, NUMBER, RATE, TEXT
from reports.exports import EXPORTERS, PUBLIC, Exporter, ReportFilters, YesNo

LICENCE = "Licence Ouverte / Etalab 2.0"
LICENCE_URL = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
# How an empty cell is written: CSV writes nothing, JSON null.
MISSING_VALUES = [""]
# A column's kind (reports.export_writers) as a Table Schema type.
TYPES = {
    TEXT: "string",
    NUMBER: "integer",
    COUNT: "integer",
    AMOUNT: "number",
    RATE: "number",
    DATE: "date",
}
FORMATS = ("csv", "xlsx", "json")


@dataclass(frozen=True)
class Dataset:
    """One open data file: which report, which of its columns, which rows.

    rows: a function returning the exporter's queryset of what the public pages show.
    required, unique: columns every row fills, and those no two rows share (the
    schema's constraints; checked by frictionless in the suite). foreign_keys: (column,
    other dataset, its column).
    """

    name: str
    title: str
    description: str
    report: str
    columns: tuple[str, ...]
    rows: object
    required: tuple[str, ...] = ()
    unique: tuple[str, ...] = ()
    primary_key: str = ""
    foreign_keys: tuple[tuple[str, str, str], ...] = ()
    # Meanings reworded here, where nothing is imported ({column: meaning}).
    meanings: tuple[tuple[str, str], ...] = ()
    exporter: Exporter = field(init=False, compare=False)

    def __post_init__(self):
        exporter = EXPORTERS[self.report].only(
            self.columns,
            counts=self.description,
            selection=SELECTION,
            meanings=dict(self.meanings),
        )
        object.__setattr__(self, "exporter", exporter)

    def queryset(self):
        return self.rows(self.exporter)

    def count(self):
        """How many rows the file has: one query."""
        if self.report == "synthese":  # its rows are totals, not records
            return self.exporter.count(PUBLIC_FILTERS)
        return self.queryset().count()

    def schema(self):
        """The Table Schema, from the exporter's columns: kind -> type, meaning ->
        description; choices (and oui/non) -> enum."""
        fields = [self._field(column) for column in self.exporter.columns]
        schema = {"fields": fields, "missingValues": MISSING_VALUES}
        if self.primary_key:
            schema["primaryKey"] = [self.primary_key]
        if self.foreign_keys:
            schema["foreignKeys"] = [
                {"fields": [name], "reference": {"resource": resource, "fields": [other]}}
                for name, resource, other in self.foreign_keys
            ]
        return schema

    def _field(self, column):
        field_ = {
            "name": column.name,
            "type": TYPES[column.kind],
            "title": column.name.replace("_", " ").capitalize(),
            "description": column.meaning,
        }
        constraints = {}
        if column.name in self.required:
            constraints["required"] = True
        if column.name in self.unique:
            constraints["unique"] = True
        if column.choices:
            constraints["enum"] = [str(label) for _code, label in column.choices]
        elif isinstance(column.source, YesNo):
            constraints["enum"] = ["oui", "non"]
        if column.kind == RATE:
            constraints["minimum"] = 0
        if constraints:
            field_["constraints"] = constraints
        return field_


PUBLIC_FILTERS = ReportFilters(visibility=PUBLIC)
ACTOR_SLUG = (
    "Identifiant court de l'acteur, celui de l'adresse de sa page (/acteurs/<slug>/) ; "
    "le même d'une publication à l'autre."
)
SELECTION = "Données ouvertes : ce que montrent les pages publiques"

DELIVERY_COLUMNS = (
    "id",
    "engagement_id",
    "intitule_engagement",
    "enjeu",
    "mesure",
    "unite",
    "acteur",
    "type_acteur",
    "territoire",
    "annee",
    "date",
    "montant",
)

DATASETS = {
    dataset.name: dataset
    for dataset in (
        Dataset(
            name="engagements",
            title="Engagements",
            description=(
                "Les engagements publics, un par ligne, annulés compris (colonne « statut ») "
                "comme les pages publiques les montrent à part ; réalisé et taux comptent "
                "les seules réalisations validées."
            ),
            report="engagements",
            columns=(
                "id",
                "enjeu",
                "mesure",
                "unite",
                "acteur",
                "acteur_slug",
                "type_acteur",
                "territoire",
                "code_territoire",
                "annee",
                "intitule",
                "statut",
                "note_cloture",
                "prevu",
                "realise",
                "taux_realisation",
            ),
            rows=lambda exporter: exporter.queryset(PUBLIC_FILTERS),
            required=(
                "id",
                "enjeu",
                "mesure",
                "unite",
                "acteur",
                "acteur_slug",
                "type_acteur",
                "territoire",
                "annee",
                "intitule",
                "statut",
                "prevu",
                "realise",
            ),
            unique=("id",),
            primary_key="id",
            meanings=(
                ("id", "Identifiant de l'engagement, le même d'une publication à l'autre."),
                ("acteur_slug", ACTOR_SLUG),
            ),
            foreign_keys=(("acteur_slug", "acteurs", "slug"),),
        ),
        Dataset(
            name="realisations",
            title="Réalisations validées",
            description=(
                "Les réalisations validées par la préfecture des engagements publics non "
                "annulés, une par ligne : celles que comptent les pages publiques."
            ),
            report="realisations",
            columns=DELIVERY_COLUMNS,
            rows=lambda exporter: Delivery.objects.public(),
            required=DELIVERY_COLUMNS,  # every cell of a validated delivery is filled
            unique=("id",),
            primary_key="id",
            foreign_keys=(("engagement_id", "engagements", "id"),),
        ),
        Dataset(
            name="acteurs",
            title="Acteurs",
            description=(
                "L'annuaire des acteurs, un par ligne, avec ce qu'en montre leur page "
                "publique (sans adresse électronique ni SIRET) et le nombre de leurs "
                "engagements publics non annulés."
            ),
            report="acteurs",
            columns=(
                "id",
                "nom",
                "slug",
                "type_acteur",
                "secteur_public",
                "territoire",
                "code_territoire",
                "site_internet",
                "description",
                "nombre_engagements",
            ),
            rows=lambda exporter: exporter.queryset(PUBLIC_FILTERS),
            required=("id", "nom", "slug", "type_acteur", "secteur_public", "nombre_engagements"),
            unique=("id", "slug"),
            primary_key="id",
            meanings=(
                ("id", "Identifiant de l'acteur, le même d'une publication à l'autre."),
                ("slug", ACTOR_SLUG),
            ),
        ),
        Dataset(
            name="totaux",
            title="Totaux par unité",
            description=(
                "Prévu et réalisé validé des engagements publics non annulés, par enjeu, "
                "mesure, territoire, année et unité : les chiffres du tableau de bord."
            ),
            report="synthese",
            columns=(
                "enjeu",
                "mesure",
                "territoire",
                "echelon",
                "annee",
                "unite",
                "nombre_engagements",
                "prevu",
                "realise",
                "taux_realisation",
            ),
            rows=lambda exporter: exporter.queryset(PUBLIC_FILTERS),
            required=(
                "enjeu",
                "mesure",
                "territoire",
                "annee",
                "unite",
                "nombre_engagements",
                "prevu",
                "realise",
            ),
        ),
    )
}


def package():
    """The four CSV files as one Data Package (frictionless's Data Package spec): their
    schemas together, so that a reuser's validator checks the foreign keys between them.
    The paths are relative to the descriptor's own address, /donnees/."""
    return {
        "name": "suivi-strategie-pauvrete-hauts-de-france",
        "title": "Suivi de la stratégie pauvreté en Hauts-de-France",
        "licenses": [{"name": "etalab-2.0", "path": LICENCE_URL, "title": LICENCE}],
        "resources": [
            {
                "name": dataset.name,
                "title": dataset.title,
                "description": dataset.description,
                "path": f"{dataset.name}.csv",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": dataset.schema(),
            }
            for dataset in DATASETS.values()
        ],
    }
