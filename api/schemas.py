"""What the API answers, as typed schemas: the OpenAPI description is generated from them.

Amounts and rates are decimal strings (`"1500000.00"`, `"0.3766"`): exact, whatever the
client's JSON parser does with large or fractional numbers (most read numbers as binary
floats). A rate is delivered / planned rounded half up to four places, the pages' rule
(commitments.models.delivery_rate), and null when nothing was planned.
"""

import datetime

from ninja import Field, Schema

AMOUNT = r"^-?\d+\.\d{2}$"
RATE = r"^-?\d+\.\d{4}$"


class PageParams(Schema):
    limit: int = Field(50, ge=1, le=100, description="Éléments par page (1 à 100).")
    offset: int = Field(0, ge=0, le=1_000_000, description="Éléments sautés avant la page.")


class PublicFilters(Schema):
    year: int | None = Field(None, description="Année des engagements, ex. 2021.")
    territory: str | None = Field(
        None,
        description="Identifiant d'un territoire (`nord`, `hauts-de-france`…) : "
        "ses engagements et ceux des territoires qu'il contient.",
    )
    issue: str | None = Field(None, description="Identifiant d'un enjeu (`urgence-sociale`…).")


class IssueFilter(Schema):
    issue: str | None = Field(None, description="Identifiant d'un enjeu (`urgence-sociale`…).")


class ActorFilters(Schema):
    q: str | None = Field(None, max_length=100, description="Partie du nom, sans accents requis.")
    kind: str | None = Field(None, description="Type d'acteur (`association`, `etat`…).")
    territory: str | None = Field(None, description="Identifiant d'un territoire.")
    sector: str | None = Field(None, description="`public` ou `prive`.")


class Ref(Schema):
    slug: str
    name: str


class TotalsRow(Schema):
    unit: str = Field(description="euros, places, persons, households ou projects.")
    planned: str = Field(pattern=AMOUNT)
    delivered: str = Field(pattern=AMOUNT)
    rate: str | None = Field(pattern=RATE)
    count: int = Field(description="Engagements comptés (les annulés ne le sont pas).")


class GroupedTotalsRow(TotalsRow):
    key: str | int | None = Field(
        None, description="L'enjeu, la mesure, le territoire, l'acteur (identifiant) ou l'année."
    )


class Totals(Schema):
    filters: dict[str, str | int]
    by: str | None
    validated_on: datetime.date | None = Field(description="Date de la dernière validation.")
    rows: list[GroupedTotalsRow]


class Measure(Schema):
    slug: str
    name: str
    description: str
    unit: str
    issue: Ref
    url: str


class MeasureDetail(Measure):
    totals: list[TotalsRow]


class Actor(Schema):
    slug: str
    name: str
    kind: str
    kind_label: str
    is_public_sector: bool
    territory: Ref | None
    website: str
    description: str
    public_commitment_count: int
    url: str


class Forum(Schema):
    title: str
    date: datetime.date
    is_online: bool
    location: str


class ActorDetail(Actor):
    totals: list[TotalsRow]
    validated_on: datetime.date | None
    forums: list[Forum]


class Commitment(Schema):
    id: int
    title: str
    year: int
    status: str
    status_label: str
    actor: Ref
    measure: Ref
    issue: Ref
    territory: Ref
    unit: str
    planned: str = Field(pattern=AMOUNT)
    delivered: str = Field(pattern=AMOUNT)
    rate: str | None = Field(pattern=RATE)


class Delivery(Schema):
    date: datetime.date
    amount: str = Field(pattern=AMOUNT)


class CommitmentDetail(Commitment):
    deliveries: list[Delivery] = Field(description="Les réalisations validées, seules publiques.")


class Page(Schema):
    count: int
    next: str | None
    previous: str | None


class MeasurePage(Page):
    results: list[Measure]


class ActorPage(Page):
    results: list[Actor]


class CommitmentPage(Page):
    results: list[Commitment]


class Error(Schema):
    detail: str
