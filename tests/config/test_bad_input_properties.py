"""Property-based bad input (hypothesis): whatever is typed or uploaded, no 500,
nothing half-written."""

import io
import re
import uuid

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from actors.models import Actor
from commitments.models import Commitment, Delivery
from datasets.forum_2020 import load_forum
from reports.imports import ActorImporter, CommitmentImporter, ImportFileError
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
def forum(db):
    load_forum()


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
def test_any_public_filter_gives_a_page(client, forum, params):
    # The press release's data is loaded: these pages exist, and a bad filter value is
    # ignored with a message, so every answer is the page itself; a NUL character, which
    # no query may hold, is a 400 that says so.
    has_nul = any("\x00" in name or "\x00" in value for name, value in params.items())
    for address in ("/", "/enjeux/urgence-sociale/", "/acteurs/", "/mesures/ecoles-ouvertes/"):
        response = client.get(address, params)
        if has_nul:
            assert response.status_code == 400, (address, params)
            assert "caractère nul" in response.content.decode()
            continue
        assert response.status_code == 200, (address, params)
        assert "Préfet<br>de la région<br>Hauts-de-France" in response.content.decode()


# Report filters: real values of the press release's data as well as anything typed.
report_values = st.one_of(
    typed,
    st.sampled_from(
        [
            "urgence-sociale",
            "places-hebergement-urgence",
            "hauts-de-france",
            "metropole-europeenne-de-lille",
            "2020",
            "association",
            "cancelled",
            "excel",
            "csv",
        ]
    ),
)


@EXAMPLES
@given(
    params=st.dictionaries(
        st.sampled_from(
            ["year", "territory", "issue", "measure", "actor_kind", "status", "dialect"]
        ),
        report_values,
        max_size=5,
    )
)
@example(params={"territory": "hauts-de-france", "dialect": "csv"})
@example(params={"issue": "urgence-sociale", "year": "2020", "status": "cancelled"})
@example(params={"territory": "nulle-part"})
def test_any_report_parameter_gives_the_whole_report_or_a_french_400(
    client, forum, manager, params
):
    client.force_login(manager)
    response = client.get("/rapports/engagements.csv", params)
    assert response.status_code in (200, 400), params
    if response.status_code == 200:
        body = b"".join(response.streaming_content).decode("utf-8-sig")
        assert body.splitlines()[0].startswith(("id;", "id,")), params
    else:
        assert is_french(response.content.decode()), response.content
    response = client.get("/rapports/", params)
    assert response.status_code in (200, 400), params
    page = response.content.decode()
    assert "Rapports" in page or "caractère nul" in page, page


def test_an_unknown_actor_kind_is_quoted_in_a_french_400(client, forum, manager):
    # « BE » once failed the check: Django's message repeated it unquoted, read as English.
    client.force_login(manager)
    response = client.get("/rapports/engagements.csv", {"actor_kind": "BE"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "« BE » ne fait pas partie des choix proposés" in page
    assert is_french(page), page


# A cell that is not blank, so that a garbage row can never be dropped as empty.
garbage_row = st.lists(typed, min_size=1, max_size=8).filter(lambda r: any(c.strip() for c in r))
rows = st.lists(st.lists(typed, min_size=1, max_size=8), max_size=6)

# (admin model, header, one valid row): the valid row would be written were the file good.
TARGETS = {
    "commitments": (
        "commitments_commitment",
        "mesure;acteur_slug;code_territoire;annee;intitule;prevu",
        "Écoles ouvertes;diplp;32;2021;Écoles ouvertes à Laon;450",
    ),
    "actors": (
        "actors_actor",
        "nom;slug;type_acteur",
        "Secours solidaire;secours-solidaire;Association",
    ),
}
COMMITMENTS_GOOD, ACTORS_GOOD = (
    f"{header}\r\n{row}\r\n" for _model, header, row in TARGETS.values()
)
IMPORTERS = {"commitments": CommitmentImporter, "actors": ActorImporter}


def joined(lines):
    return "\r\n".join(";".join(cells) for cells in lines) + "\r\n"


any_target = st.sampled_from(sorted(TARGETS))
# (target, content): unreadable files, headerless rows, rows under a header, and a good
# row followed by at least one bad one, which must make the whole file refused.
bad_files = st.one_of(
    st.tuples(any_target, st.binary(max_size=2000)),
    st.tuples(any_target, rows.map(lambda r: joined(r).encode("utf-8"))),
    st.tuples(
        any_target,
        rows.map(
            lambda r: (TARGETS["commitments"][1] + "\r\n" + joined(r)).encode("cp1252", "replace")
        ),
    ),
    st.tuples(any_target, st.lists(garbage_row, min_size=1, max_size=5)).map(
        lambda t: (
            t[0],
            (TARGETS[t[0]][1] + "\r\n" + TARGETS[t[0]][2] + "\r\n" + joined(t[1])).encode("utf-8"),
        )
    ),
)


def word_set(text):
    return frozenset(text.split())


# Words of French sentences, and of Django's English defaults ("Enter a valid…",
# "This field is required.", "Ensure this value…"): a message must have the former and
# none of the latter, once what the user typed (quoted « … ») is set aside.
FRENCH_WORDS = word_set(
    "le la les l de du des d un une est n ne pas ce cette ces doit être aucun aucune au "
    "plus ou et entre colonne fichier ligne inconnu inconnue obligatoire nombre entier "
    "attendu déjà celui autre acteur engagement adresse invalide assurez vous que valeur "
    "caractères saisissez montant"
)
ENGLISH_WORDS = word_set(
    "the this is enter valid field required ensure value must be please unknown missing "
    "line column file empty not an with already exists characters invalid number"
)


def is_french(message):
    words = re.findall(r"[a-zàâäçéèêëîïôöûùüÿœ]+", re.sub(r"«[^»]*»", " ", message.lower()))
    return bool(FRENCH_WORDS.intersection(words)) and not ENGLISH_WORDS.intersection(words)


def test_the_french_check_refuses_django_english_defaults():
    assert is_french("Colonne inconnue « the field ».")
    assert is_french("Assurez-vous que cette valeur comporte au plus 300 caractères.")
    for english in (
        "Enter a valid email address.",
        "This field is required.",
        "Ensure this value has at most 300 characters (it has 301).",
        "The file is empty.",
        "Unknown column « couleur ».",
    ):
        assert not is_french(english), english


def written():
    return (
        Commitment.objects.count(),
        Commitment.history.count(),
        Actor.objects.count(),
        Actor.history.count(),
    )


def upload(client, model, content):
    file = io.BytesIO(content)
    file.name = "import.csv"
    return client.post(reverse(f"admin:{model}_import"), {"file": file})


@EXAMPLES
@given(target_and_content=bad_files)
@example(("commitments", (COMMITMENTS_GOOD + "inconnue;diplp;32;2021;Mal;1\r\n").encode()))
@example(("actors", (ACTORS_GOOD + "B;b;Martien\r\n").encode()))
def test_any_import_file_is_planned_or_refused_in_french_and_writes_nothing(
    staff_client, forum, target_and_content
):
    """Bad files only: refused outright, or previewed with errors and then, confirmed
    anyway, refused whole; the good row they may hold is never written."""
    target, content = target_and_content
    model = TARGETS[target][0]
    importer = IMPORTERS[target]()
    try:
        plan = importer.plan(content)
    except ImportFileError as error:
        plan = None
        assert is_french(str(error)), str(error)
    else:
        assume(not plan.is_valid)  # only bad files here; a good one is written, rightly
        for _line, _column, message in plan.errors:
            assert is_french(message), message
    before = written()

    # The admin: upload, then confirm what was previewed, as a hurried user would.
    response = upload(staff_client, model, content)
    assert response.status_code == 200
    if plan is None:
        errors = response.context["form"].errors["file"]  # Django's own for an empty file
        assert errors and all(is_french(message) for message in errors), errors
        assert "token" not in response.context
    else:
        assert "Rien n'a été enregistré" in response.content.decode()
        response = staff_client.post(
            reverse(f"admin:{model}_import"), {"token": response.context["token"]}
        )
        assert written() == before
        assert response.status_code == 200  # the preview again, with its errors

        # The importer itself refuses to apply a plan with errors.
        with pytest.raises(ValueError):
            importer.apply(plan, by=None)
    assert written() == before
