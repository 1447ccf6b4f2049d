"""Imports that cannot exhaust the server (issue 12, section 3): files built to blow up
a naive reader, bodies over their cap, the pending file out of the session, and one
confirmation of one preview."""

import csv
import io
import sys
import tracemalloc
from xml.parsers import expat as pyexpat

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from actors.models import Actor
from actors.roles import AGENTS, attach_to_territory
from commitments.models import Commitment
from datasets.forum_2020 import load_forum
from reports import imports
from tests.factories import UserFactory, region
from tests.helpers import text_of
from tests.reports import bombs

pytestmark = pytest.mark.django_db

MEMORY_LIMIT = 100 * 1024 * 1024
ACTORS_IMPORT = "admin:actors_actor_import"
COMMITMENTS_IMPORT = "admin:commitments_commitment_import"


@pytest.fixture
def forum():
    load_forum()


def multipart_file(content, name):
    file = io.BytesIO(content)
    file.name = name
    return file


def written():
    return Actor.objects.count(), Actor.history.count(), Commitment.objects.count()


BOMBS = {
    "dimension A1:XFD1048576": (lambda: bombs.dimension_bomb("A1:XFD1048576"), "50 000 lignes"),
    "dimension A1:XFD20000": (lambda: bombs.dimension_bomb("A1:XFD20000"), None),
    "a cell at XFD1048576": (bombs.far_cell_bomb, "50 000 lignes"),
    "entity expansion": (bombs.entity_bomb, "entités XML"),
    "200 MB of empty rows in 400 KB": (bombs.zip_bomb, "trop volumineux une fois décompressé"),
    "4 million empty rows within the size cap": (
        lambda: bombs.zip_bomb(45),
        "trop volumineux une fois décompressé",
    ),
    "12 million unknown elements": (
        lambda: bombs.zip_bomb(45, b"<x/>"),
        "trop volumineux une fois décompressé",
    ),
    "a sheet named .XML with one row of 2.5 million cells": (
        bombs.renamed_sheet_bomb,
        "plus de cellules que les 16 384 colonnes",
    ),
    "shared strings named .XML": (
        bombs.renamed_strings_bomb,
        "trop volumineux une fois décompressé",
    ),
    "a million one-character CSV rows": (bombs.csv_million_rows, "50 000 lignes"),
    "a NUL byte after 8 KB": (bombs.csv_nul_after_8k, "caractère nul (octet 0) à la ligne 402"),
}


@pytest.mark.parametrize("bomb", list(BOMBS))
def test_a_bomb_is_refused_in_french_with_little_memory(staff_client, forum, bomb):
    build, message = BOMBS[bomb]
    content = build()
    name = "bombe.xlsx" if content.startswith(b"PK") else "bombe.csv"
    before = written()
    tracemalloc.start()
    # No stopwatch (the machines are shared): the work is bounded by the caps on sizes,
    # rows and XML elements the messages name, and memory is measured exactly.
    try:
        response = staff_client.post(
            reverse(ACTORS_IMPORT), {"file": multipart_file(content, name)}
        )
        if response.status_code == 200 and "token" in response.context:
            # Previewed: then it is confirmed, as a hurried agent would.
            response = staff_client.post(
                reverse(ACTORS_IMPORT), {"token": response.context["token"]}
            )
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < MEMORY_LIMIT, f"{peak / 2**20:.0f} MB"
    if message is None:
        # Its declared size ignored, this one is just a small good file.
        assert response.status_code == 302
        assert Actor.objects.filter(slug="secours-solidaire").exists()
        return
    assert response.status_code == 200
    assert "token" not in response.context
    errors = response.context["form"].errors["file"]
    assert any(message in error for error in errors), errors
    assert written() == before


def test_xlsx_is_parsed_by_defusedxml():
    import openpyxl

    assert openpyxl.DEFUSEDXML


def test_a_good_csv_after_8_kb_is_still_read(forum, staff_client):
    content = bombs.csv_nul_after_8k().replace(b"\x00", b" ")
    response = staff_client.post(
        reverse(ACTORS_IMPORT), {"file": multipart_file(content, "acteurs.csv")}
    )
    assert response.context["counts"]["create"] == 401


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"nom;slug;type_acteur\r\n" + b";" * 150 + b"x\r\n", "plus de 100 colonnes"),
        (b"nom;slug;type_acteur\r\n" + b"\r\n" * 60_000, "50 000 lignes"),
        (b'nom;slug;type_acteur\r\n"' + b"x" * 200_000 + b'";a;b\r\n', "mal formé"),
        (b"nom;slug;type_acteur\r\n" + b"x" * 110_000 + b";a;b\r\n", "plus de 100 000 caractères"),
        (b"nom;slug;type_acteur\r\nA" + b";" * 1_100_000 + b"\r\n", "1 048 576 caractères"),
    ],
)
def test_csv_caps_are_refused_in_french(staff_client, forum, content, message):
    response = staff_client.post(
        reverse(ACTORS_IMPORT), {"file": multipart_file(content, "acteurs.csv")}
    )
    errors = response.context["form"].errors["file"]
    assert any(message in error for error in errors), errors


@pytest.fixture
def raised_csv_limit():
    """The csv module's field limit as a library may leave it (frictionless raises it for
    the whole process): the import's own cap must still hold."""
    before = csv.field_size_limit(sys.maxsize)
    yield
    csv.field_size_limit(before)


def test_a_huge_csv_cell_is_refused_whatever_the_csv_module_limit(
    staff_client, forum, raised_csv_limit
):
    content = b'nom;slug;type_acteur\r\n"' + b"x" * 200_000 + b'";a;b\r\n'
    response = staff_client.post(
        reverse(ACTORS_IMPORT), {"file": multipart_file(content, "acteurs.csv")}
    )
    errors = " ".join(response.context["form"].errors["file"])
    assert "La ligne 2 a une cellule de plus de 100 000 caractères" in errors


# Bodies over their cap are refused while they are received


def multipart_body(size):
    boundary = "limite"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="gros.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + b"x" * size
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def post_body(client, address, size):
    body, content_type = multipart_body(size)
    return client.generic("POST", address, body, content_type=content_type)


def csrf_client(user=None):
    """A client that sends its CSRF cookie, as a browser does: the CSRF check then reads
    the body, and the cap must come first."""
    client = Client(enforce_csrf_checks=True)
    if user is not None:
        client.force_login(user)
    client.get(reverse("admin:index" if user else "admin:login"))
    assert "csrftoken" in client.cookies
    return client


def test_an_anonymous_big_body_is_refused_before_it_is_read(forum):
    response = post_body(csrf_client(), reverse(ACTORS_IMPORT), 20 * 1024 * 1024)
    assert response.status_code == 413
    assert "Envoi trop volumineux" in text_of(response)


def test_a_manager_cannot_send_a_big_file_to_the_import(manager, forum):
    response = post_body(csrf_client(manager), reverse(ACTORS_IMPORT), 1024 * 1024)
    assert response.status_code == 413


def test_staff_over_10_mb_is_refused_with_a_french_page(staff_client, forum):
    response = post_body(staff_client, reverse(ACTORS_IMPORT), 11 * 1024 * 1024)
    assert response.status_code == 413
    assert "Un fichier à importer fait au plus 10 Mo" in text_of(response)
    assert written()[0] == 9


def test_elsewhere_the_cap_is_small(staff_client, forum):
    response = post_body(staff_client, reverse("admin:actors_actor_add"), 1024 * 1024)
    assert response.status_code == 413


def test_nothing_is_ever_written_to_a_temporary_file(settings):
    assert not any("Temporary" in handler for handler in settings.FILE_UPLOAD_HANDLERS)
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE >= 10 * 1024 * 1024 + 64 * 1024


def test_staff_just_under_10_mb_is_read(staff_client, forum):
    content = b"nom;slug;type_acteur\r\n" + b"x" * (10 * 1024 * 1024 - 100) + b"\r\n"
    response = staff_client.post(
        reverse(ACTORS_IMPORT), {"file": multipart_file(content, "gros.csv")}
    )
    assert response.status_code == 200
    assert "mal formé" in " ".join(response.context["form"].errors["file"])


# The pending file waits in the database, owned and expiring, never in the session

GOOD = "mesure;acteur_slug;code_territoire;annee;intitule;prevu\r\n"


def good_commitments(title="Écoles ouvertes à Laon"):
    return (GOOD + f"Écoles ouvertes;diplp;32;2021;{title};450\r\n").encode()


def preview(client, content=None, name="import.csv"):
    response = client.post(
        reverse(COMMITMENTS_IMPORT),
        {"file": multipart_file(content or good_commitments(), name)},
    )
    assert response.status_code == 200
    return response.context["token"]


def test_a_preview_waits_in_the_database_not_in_the_session(staff_client, staff_agent, forum):
    from reports.models import PendingImport

    content = (
        GOOD + "".join(f"Écoles ouvertes;diplp;32;2021;Titre {i};{i}\r\n" for i in range(5000))
    ).encode()
    for _ in range(3):
        preview(staff_client, content)
    session = staff_client.session
    assert not [key for key, _value in session.items() if key.startswith("import")]
    assert len(session.session_key and session.encode(dict(session)) or "") < 2000
    assert PendingImport.objects.filter(owner=staff_agent).count() == 3
    token = PendingImport.objects.latest("expires_at").token
    response = staff_client.post(reverse(COMMITMENTS_IMPORT), {"token": token})
    assert response.status_code == 302
    assert Commitment.objects.filter(title__startswith="Titre ").count() == 5000
    assert not PendingImport.objects.filter(token=token).exists()


def test_an_agent_keeps_three_pending_imports_at_most(staff_client, staff_agent, forum):
    from reports.models import PendingImport

    tokens = [preview(staff_client) for _ in range(5)]
    kept = set(PendingImport.objects.values_list("token", flat=True))
    assert kept == set(tokens[-3:])


def test_another_agent_cannot_confirm_my_preview(staff_client, forum):
    token = preview(staff_client)
    other = UserFactory(username="autre.agent", is_staff=True)
    other.groups.add(Group.objects.get(name=AGENTS))
    attach_to_territory(other, region())
    client = Client()
    client.force_login(other)
    response = client.post(reverse(COMMITMENTS_IMPORT), {"token": token}, follow=True)
    assert "Cet import a expiré ou a déjà été confirmé : recommencez." in text_of(response)
    assert not Commitment.objects.filter(title="Écoles ouvertes à Laon").exists()
    # The owner still can.
    response = staff_client.post(reverse(COMMITMENTS_IMPORT), {"token": token})
    assert response.status_code == 302
    assert Commitment.objects.filter(title="Écoles ouvertes à Laon").count() == 1


def test_a_manager_cannot_confirm_a_preview(manager, staff_client, forum):
    token = preview(staff_client)
    client = Client()
    client.force_login(manager)
    response = client.post(reverse(COMMITMENTS_IMPORT), {"token": token})
    assert response.status_code == 403
    assert not Commitment.objects.filter(title="Écoles ouvertes à Laon").exists()


@pytest.mark.parametrize("token", ["", "pas-un-jeton", "x" * 5000, "' OR 1=1 --"])
def test_a_bad_token_gets_a_french_message(staff_client, forum, token):
    response = staff_client.post(reverse(COMMITMENTS_IMPORT), {"token": token}, follow=True)
    assert response.status_code == 200
    assert "Cet import a expiré ou a déjà été confirmé : recommencez." in text_of(response)


def test_an_expired_preview_is_refused_then_cleaned_by_the_next_upload(
    staff_client, staff_agent, forum
):
    from reports.models import PendingImport

    token = preview(staff_client)
    PendingImport.objects.update(expires_at=timezone.now())
    response = staff_client.post(reverse(COMMITMENTS_IMPORT), {"token": token}, follow=True)
    assert "Cet import a expiré ou a déjà été confirmé : recommencez." in text_of(response)
    assert not Commitment.objects.filter(title="Écoles ouvertes à Laon").exists()
    preview(staff_client, good_commitments("Autre"))
    assert not PendingImport.objects.filter(token=token).exists()
    assert PendingImport.objects.count() == 1


def test_pending_imports_are_not_in_the_history():
    from reports.models import PendingImport

    assert not hasattr(PendingImport, "history")


def expat_elements(xml):
    parser, count = pyexpat.ParserCreate(), 0

    def start(_name, _attributes):
        nonlocal count
        count += 1

    parser.StartElementHandler = start
    parser.Parse(xml, True)
    return count


def start_tags_in_chunks(xml, size):
    count, carry = 0, b""
    for offset in range(0, len(xml), size):
        counted, carry = imports._start_tags(carry + xml[offset : offset + size])
        count += counted
    return count


ORDINARY = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet a="1"><sheetData>'
    + b'<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1"/></row>' * 50
    + b"</sheetData></worksheet>"
)
TRICKY = (
    b'<?xml version="1.0"?><!DOCTYPE w><w><!-- a <b> and </c> --><x><![CDATA[ <y/> </z> ]]>'
    b"</x><?pi <q>?><e>&lt;f&gt;</e></w>"
)


@pytest.mark.parametrize(
    "xml",
    [ORDINARY, TRICKY, ORDINARY.replace(b"UTF-8", b"UTF-16").decode().encode("utf-16")],
    ids=["as a spreadsheet writes it", "comments, CDATA and instructions", "UTF-16"],
)
@pytest.mark.parametrize("size", [1, 2, 7, 1024 * 1024])
def test_the_prescan_counts_at_least_the_elements_expat_finds(xml, size):
    found = expat_elements(xml)
    counted = start_tags_in_chunks(xml, size)
    assert counted >= found > 0
    if xml is ORDINARY:
        assert counted == found  # exact where a spreadsheet wrote the part


OMEGA_ELEMENTS = "<r>" + "<\u2126/>" * 1000 + "</r>"  # Ω: 21 26 in UTF-16BE, the `!` of `<!`


@pytest.mark.parametrize(
    "xml",
    [
        "\ufeff" + OMEGA_ELEMENTS,  # with a byte-order mark
        OMEGA_ELEMENTS,  # without: expat knows it by the zero byte
        " " + OMEGA_ELEMENTS,
    ],
    ids=["with a byte-order mark", "without", "after a blank"],
)
@pytest.mark.parametrize("order", ["utf-16-be", "utf-16-le"])
def test_utf16_parts_are_scanned_and_counted_at_least_as_expat_does(xml, order):
    data = xml.encode(order)
    assert imports._looks_like_xml(data)
    counted, _carry = imports._start_tags(data, utf16=imports._utf16(data))
    assert counted >= expat_elements(data) == 1001


def test_binary_parts_are_left_out_of_the_scan():
    # Printer settings start with the device's name in UTF-16, images with their magic.
    for head in ["HP LaserJet".encode("utf-16-le"), b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0"]:
        assert not imports._looks_like_xml(head)
