"""Property-based bad input (hypothesis): whatever is typed or uploaded, no 500,
nothing half-written."""

import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commitments.models import Commitment, Delivery
from datasets.forum_2020 import load_forum
from reports.imports import ActorImporter, CommitmentImporter, ImportFileError, Plan
from tests.factories import CommitmentFactory

pytestmark = pytest.mark.django_db
EXAMPLES = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# What people type: digits, separators, signs, letters, spaces, odd unicode, nothing.
typed = st.one_of(
    st.text(max_size=40),
    st.from_regex(r"-?[0-9 ]{0,12}([.,][0-9]{0,4})?", fullmatch=True),
    st.sampled_from(["", " ", "1e999", "NaN", "Infinity", "0", "-0", "١٢", "1_000", "2,5"]),
)


@pytest.fixture
def commitment(contact_a, actor_a):
    return CommitmentFactory(actor=actor_a, year=2021)


@EXAMPLES
@given(amount=typed, date=typed, comment=st.text(max_size=6000))
def test_any_delivery_report_is_saved_whole_or_refused(
    client, contact_a, commitment, amount, date, comment
):
    client.force_login(contact_a)
    before = Delivery.objects.count()
    response = client.post(
        f"/espace/engagements/{commitment.pk}/",
        {"amount": amount, "date": date, "comment": comment, "submission_key": str(uuid.uuid4())},
    )
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert Delivery.objects.count() == before
        assert "erreur" in response.content.decode().lower() or response.context["form"].errors
    else:
        delivery = Delivery.objects.latest("pk")
        assert delivery.amount > 0 and delivery.status == "reported"


@EXAMPLES
@given(
    params=st.dictionaries(
        st.sampled_from(["year", "territory", "issue", "page", "q", "kind", "sector"]),
        typed,
        max_size=5,
    )
)
def test_any_public_filter_gives_a_page(client, params):
    for address in ("/", "/enjeux/urgence-sociale/", "/acteurs/", "/mesures/ecoles-ouvertes/"):
        response = client.get(address, params)
        assert response.status_code in (200, 404), (address, params)


@EXAMPLES
@given(
    params=st.dictionaries(
        st.sampled_from(
            ["year", "territory", "issue", "measure", "actor_kind", "status", "dialect"]
        ),
        typed,
        max_size=5,
    )
)
def test_any_report_parameter_gives_a_report_or_a_400(client, manager, params):
    client.force_login(manager)
    response = client.get("/rapports/engagements.csv", params)
    assert response.status_code in (200, 400)
    response = client.get("/rapports/", params)
    assert response.status_code in (200, 400)


rows = st.lists(st.lists(typed, min_size=1, max_size=8), max_size=6)


@EXAMPLES
@given(
    content=st.one_of(
        st.binary(max_size=2000),
        rows.map(lambda r: "\r\n".join(";".join(c) for c in r).encode("utf-8")),
        rows.map(
            lambda r: (
                "mesure;acteur_slug;code_territoire;annee;intitule;prevu\r\n"
                + "\r\n".join(";".join(c) for c in r)
            ).encode("cp1252", errors="replace")
        ),
    )
)
def test_any_import_file_is_planned_or_refused_in_french_and_writes_nothing(content):
    load_forum()
    before = (Commitment.objects.count(), Commitment.history.count())
    for importer in (CommitmentImporter(), ActorImporter()):
        try:
            plan = importer.plan(content)
        except ImportFileError as error:
            assert str(error)[:1].isupper()
            continue
        assert isinstance(plan, Plan)
        for _line, _column, message in plan.errors:
            assert message
    assert (Commitment.objects.count(), Commitment.history.count()) == before
