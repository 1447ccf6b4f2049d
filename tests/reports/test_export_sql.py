"""On PostgreSQL the database writes engagements.csv itself (reports/export_sql.py):
the very same text as the Python writer, on awkward data and on generated data."""

import csv
import io
from decimal import Decimal

import pytest
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commitments.models import Commitment
from reports.export_writers import DIALECTS, csv_chunks
from reports.exports import EXPORTERS, Rate, ReportFilters
from tests.factories import ActorFactory, CommitmentFactory
from tests.helpers import database_away, postgresql_only

ENGAGEMENTS = EXPORTERS["engagements"]
postgresql_only = postgresql_only("the database writes the CSV on PostgreSQL only")

AWKWARD = [
    "=SOMME(A1:A9)",
    "+33 6 00 00 00 00",
    "-2 € de plus",
    "@commande",
    "\tcommence par une tabulation",
    "\rcommence par un retour chariot",
    'Il a dit "bonjour"',
    "point-virgule ; au milieu",
    "virgule, au milieu",
    "ligne 1\nligne 2",
    "ligne 1\r\nligne 2",
    "anti\\slash et \\n qui n'est pas un saut",
    "fin par un anti-slash \\",
    "accents éàç — “guillemets” et 🙂",
    "",
    " commence par une espace",
    "contrôles \x0b\x0c\x08 au milieu",
    "'déjà une apostrophe",
    '"entièrement entre guillemets"',
]
# (planned, delivered): nothing planned, a tie at the fifth place, repeating decimals,
# the largest amounts the columns hold.
AMOUNTS = [
    (Decimal(0), Decimal(0)),
    (Decimal(32), Decimal(1)),
    (Decimal(3), Decimal(1)),
    (Decimal("0.03"), Decimal("0.02")),
    (Decimal("9999999999999.99"), Decimal("0.01")),
    (Decimal("0.01"), Decimal("9999999999999.99")),
    (Decimal("1234.50"), Decimal("1234.50")),
    (Decimal(8), Decimal(1)),  # 12,5 %: a tie at the percentage the excel dialect writes
]


def python_csv(queryset, dialect):
    rows = ENGAGEMENTS.rows(queryset)
    return "".join(csv_chunks(ENGAGEMENTS.headers, rows, dialect, kinds=ENGAGEMENTS.kinds))


def database_csv(queryset, dialect):
    with CaptureQueriesContext(connection) as queries:
        text = "".join(ENGAGEMENTS.csv_chunks(queryset, dialect))
    assert [q["sql"][:6] for q in queries] == ["COPY ("]  # one statement, COPY
    return text


@pytest.fixture
def awkward(db):
    actor = ActorFactory(name='Association "Le Toit" ; Lille', slug="le-toit")
    statuses = [status for status, _ in Commitment.Status.choices]
    for index, text in enumerate(AWKWARD):
        planned, delivered = AMOUNTS[index % len(AMOUNTS)]
        CommitmentFactory(
            actor=actor,
            title=text or "sans titre",
            description=AWKWARD[-1 - index],
            status=statuses[index % len(statuses)],
            is_public=index % 2 == 0,
            planned_amount=planned,
            delivered_amount=delivered,
            year=2020 + index % 3,
        )


@postgresql_only
@pytest.mark.django_db
@pytest.mark.parametrize("dialect", DIALECTS)
def test_the_database_writes_the_same_csv_as_python_on_awkward_data(awkward, dialect):
    queryset = ENGAGEMENTS.queryset(ReportFilters())
    written = database_csv(queryset, dialect)
    assert written == python_csv(queryset, dialect)
    assert written.count("\n") > len(AWKWARD)  # the rows are there, not only the header
    assert "'=SOMME(A1:A9)" in written  # defused
    if dialect == "excel":  # as the pages write them: whole percentages, rounded half up
        assert ";8;1;13\xa0%\r\n" in written and ";32;1;3\xa0%\r\n" in written
        assert ";1234,50;1234,50;100\xa0%\r\n" in written  # decimals only when not whole
    else:
        assert "0.0313" in written and "8.00,1.00,0.1250" in written  # programs: unchanged


@postgresql_only
@pytest.mark.django_db
def test_filters_apply_to_the_lines_the_database_writes(awkward):
    queryset = ENGAGEMENTS.queryset(ReportFilters(year=2021))
    written = database_csv(queryset, "csv")
    assert written == python_csv(queryset, "csv")
    rows = list(csv.reader(io.StringIO(written, newline="")))
    years = {row[ENGAGEMENTS.headers.index("annee")] for row in rows[1:]}
    assert years == {"2021"}


@postgresql_only
@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    texts=st.lists(
        st.text(
            # PostgreSQL text holds no NUL, and UTF-8 no lone surrogate.
            st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)),
            max_size=40,
        ),
        min_size=1,
        max_size=4,
    ),
    amounts=st.lists(
        st.decimals(min_value=0, max_value=Decimal("9999999999999.99"), places=2),
        min_size=2,
        max_size=2,
    ),
)
def test_any_text_and_amount_is_written_as_python_writes_it(texts, amounts):
    actor = ActorFactory(name=texts[0] or "acteur")
    for text in texts:
        CommitmentFactory(
            actor=actor,
            title=text or "sans titre",
            description=text,
            planned_amount=amounts[0],
            delivered_amount=amounts[1],
        )
    queryset = ENGAGEMENTS.queryset(ReportFilters()).filter(actor=actor)
    for dialect in DIALECTS:
        assert database_csv(queryset, dialect) == python_csv(queryset, dialect)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_database_outage_fails_in_the_view_before_any_byte_is_sent():
    queryset = ENGAGEMENTS.queryset(ReportFilters())
    with database_away(), pytest.raises(OperationalError):
        ENGAGEMENTS.csv_chunks(queryset, "csv")  # not even iterated: the COPY ran here
    assert "".join(ENGAGEMENTS.csv_chunks(queryset, "csv")).startswith("id,")


def test_rates_round_half_up_on_every_database():
    rate = Rate("planned", "delivered")
    assert rate({"planned": Decimal(32), "delivered": Decimal(1)}) == Decimal("0.0313")
    assert rate({"planned": Decimal(3), "delivered": Decimal(2)}) == Decimal("0.6667")
    assert rate({"planned": Decimal(0), "delivered": Decimal(5)}) is None


@pytest.mark.django_db
def test_other_reports_and_sqlite_keep_the_python_writer(awkward):
    deliveries = EXPORTERS["realisations"]  # dates and times: formatted by Python
    queryset = deliveries.queryset(ReportFilters())
    with CaptureQueriesContext(connection) as queries:
        "".join(deliveries.csv_chunks(queryset, "csv"))
    assert not any(q["sql"].startswith("COPY") for q in queries)
    assert ENGAGEMENTS.sql_lines and not deliveries.sql_lines
    assert ENGAGEMENTS.columns[10].sql_cell("csv") is not None
    date = next(column for column in deliveries.columns if column.name == "date")
    assert date.sql_cell("csv") is None  # the delivery's date


def test_an_unknown_dialect_is_refused():
    with pytest.raises(ValueError):
        ENGAGEMENTS.csv_chunks(Commitment.objects.none(), "tsv")
