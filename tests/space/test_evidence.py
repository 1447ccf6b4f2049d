"""Evidence files (justificatifs): what a contact attaches and downloads, what the staff
of the territory read, what everybody else gets, and what bad files get."""

import datetime
import io
import uuid
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.core.management import call_command
from django.urls import reverse
from openpyxl import Workbook

from actors.roles import AGENTS
from commitments.evidence import check_upload, clean_name
from commitments.models import Campaign, Delivery, Evidence, ExpectedReport
from datasets.forum_2020 import load_forum
from reports.uploads import FORM_ROOM, UPLOAD_CAP, upload_cap
from strategy.models import Territory
from tests.factories import CommitmentFactory, UserFactory, staff_member
from tests.helpers import PDF_BYTES, PNG_BYTES, text_of, upload

pytestmark = pytest.mark.django_db
JUNE_2021 = datetime.date(2021, 6, 1)


def xlsx_bytes():
    workbook = Workbook()
    workbook.active.append(["Places", 12])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def zip_bytes(entries):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in entries:
            archive.writestr(name, content, compress_type=zipfile.ZIP_STORED)
    return buffer.getvalue()


ODT = zip_bytes(
    [("mimetype", "application/vnd.oasis.opendocument.text"), ("content.xml", "<office/>")]
)
DOCX = zip_bytes(
    [
        ("[Content_Types].xml", "<Types/>"),
        ("_rels/.rels", "<Relationships/>"),
        ("word/document.xml", "<w:document/>"),
    ]
)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64


def stored_files(folder):
    return sorted(path for path in Path(folder).rglob("*") if path.is_file())


@pytest.fixture
def commitment_a(actor_a):
    return CommitmentFactory(actor=actor_a, title="Places de A", year=2021)


@pytest.fixture
def waiting(commitment_a, contact_a):
    return commitment_a.report_delivery(amount=Decimal(5), date=JUNE_2021, by=contact_a)


@pytest.fixture
def report_a(commitment_a, staff_agent):
    today = datetime.date.today()
    campaign = Campaign.objects.create(
        title="Bilan 2021",
        period_start=datetime.date(2021, 1, 1),
        period_end=datetime.date(2021, 12, 31),
        opens_on=today - datetime.timedelta(days=10),
        deadline=today + datetime.timedelta(days=10),
    )
    campaign.open(by=staff_agent)
    return ExpectedReport.objects.get(campaign=campaign, commitment=commitment_a)


# What is accepted is told by the content; the name has to agree with it.
@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("rapport.pdf", PDF_BYTES, "application/pdf"),
        ("RAPPORT.PDF", PDF_BYTES, "application/pdf"),
        ("photo.png", PNG_BYTES, "image/png"),
        (
            "bilan.xlsx",
            xlsx_bytes(),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        (
            "note.docx",
            DOCX,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("note.odt", ODT, "application/vnd.oasis.opendocument.text"),
        ("liste.csv", "nom;places\nFoyer Éole;12\n".encode(), "text/csv"),
        ("liste.csv", "nom;places\nFoyer Éole;12\n".encode("cp1252"), "text/csv"),
        ("programme.pdf", EXE, "type"),
        ("photo.pdf", PNG_BYTES, "mismatch"),
        ("rapport", PDF_BYTES, "mismatch"),
        ("archive.docx", zip_bytes([("a.txt", "x")]), "type"),
        ("page.html", b"<!DOCTYPE html><script>alert(1)</script>", "type"),
        ("liste.csv", b"nom;places\x00\x01binaire", "type"),
        ("vide.pdf", b"", "empty"),
    ],
)
def test_a_file_is_judged_by_its_content_and_its_name_must_agree(name, content, expected):
    if "/" in expected:
        assert check_upload(upload(name, content)) == expected
        return
    with pytest.raises(ValidationError) as refused:
        check_upload(upload(name, content))
    assert refused.value.code == expected
    assert name in refused.value.messages[0] or expected == "empty"


def test_the_refusals_say_in_french_what_is_wrong():
    with pytest.raises(ValidationError) as refused:
        check_upload(upload("photo.pdf", PNG_BYTES))
    assert refused.value.messages == [
        "« photo.pdf » ne contient pas ce que son nom annonce : son contenu est une image "
        "PNG (.png). Choisissez le bon fichier, ou renommez-le."
    ]
    with pytest.raises(ValidationError) as refused:
        check_upload(upload("programme.pdf", EXE))
    assert (
        "n'est pas d'un type accepté comme justificatif (PDF, images" in refused.value.messages[0]
    )


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\moi\\Bilan 2021 (final).pdf", "Bilan 2021 (final).pdf"),
        ("Compte rendu d'exécution.pdf", "Compte rendu d'exécution.pdf"),
        ('"><script>.pdf', "script .pdf"),
        ("a\x00b\r\nc\t.pdf", "a b c .pdf"),
        (".pdf", "justificatif.pdf"),
        ("  bilan.pdf. ", "bilan.pdf"),
        ("x" * 300 + ".pdf", "x" * 146 + ".pdf"),
        ("..", "justificatif"),
    ],
)
def test_a_file_keeps_a_harmless_name(given, kept):
    assert clean_name(given) == kept


def test_a_contact_declares_a_delivery_with_its_file_and_downloads_it(
    client, contact_a, commitment_a, evidence_folder
):
    client.force_login(contact_a)
    response = client.post(
        reverse("space:commitment", args=[commitment_a.pk]),
        {"amount": "12", "date": "2021-06-01", "justificatif": upload("Bilan juin.pdf")},
    )
    assert response.status_code == 302
    delivery = commitment_a.deliveries.get()
    evidence = delivery.evidence.get()
    assert (evidence.name, evidence.content_type, evidence.size) == (
        "Bilan juin.pdf",
        "application/pdf",
        len(PDF_BYTES),
    )
    assert evidence.uploaded_by == contact_a
    assert evidence.history.get().history_type == "+"
    [stored] = stored_files(evidence_folder)
    assert stored.read_bytes() == PDF_BYTES and "Bilan" not in str(stored)

    page = text_of(client.get(reverse("space:commitment", args=[commitment_a.pk])))
    assert "Bilan juin.pdf (fichier PDF, 1 ko, déposé le" in page
    download = client.get(reverse("space:evidence", args=[evidence.key]))
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="Bilan juin.pdf"'
    assert download["Content-Type"] == "application/pdf"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Cache-Control"] == "private, no-store"
    assert download["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert b"".join(download.streaming_content) == PDF_BYTES


def test_a_bad_file_refuses_the_whole_declaration_and_stores_nothing(
    client, contact_a, commitment_a, evidence_folder
):
    client.force_login(contact_a)
    response = client.post(
        reverse("space:commitment", args=[commitment_a.pk]),
        {"amount": "12", "date": "2021-06-01", "justificatif": upload("bilan.pdf", EXE)},
    )
    assert response.status_code == 200
    assert "Le contenu de « bilan.pdf » n'est pas d'un type accepté" in text_of(response)
    assert not Delivery.objects.exists() and not Evidence.objects.exists()
    assert stored_files(evidence_folder) == []


def test_a_declaration_shown_again_asks_for_its_file_again(
    client, contact_a, commitment_a, evidence_folder
):
    # A date before the commitment's year is to confirm: the page comes back, and no
    # browser fills a file input back, so the file would go unnoticed once confirmed.
    client.force_login(contact_a)
    address = reverse("space:commitment", args=[commitment_a.pk])
    response = client.post(
        address, {"amount": "12", "date": "2020-06-01", "justificatif": upload("bilan.pdf")}
    )
    assert response.status_code == 200
    assert "« bilan.pdf » n'est pas encore joint : choisissez-le à nouveau" in text_of(response)
    assert not Delivery.objects.exists() and stored_files(evidence_folder) == []
    without_file = client.post(address, {"amount": "12", "date": "2020-06-01"})
    assert "n'est pas encore joint" not in text_of(without_file)


def test_a_file_over_the_cap_is_refused_in_french_and_nothing_is_stored(
    client, settings, contact_a, waiting, evidence_folder
):
    settings.EVIDENCE_MAX_BYTES = 1024
    client.force_login(contact_a)
    big = PDF_BYTES + b"%" * 2000
    response = client.post(
        reverse("space:delivery_evidence", args=[waiting.pk]),
        {"justificatif": upload("gros.pdf", big)},
        follow=True,
    )
    assert (
        "« gros.pdf » pèse 2 ko : un justificatif ne dépasse pas 1 ko. Rien n'a été ajouté."
        in text_of(response)
    )
    assert not Evidence.objects.exists() and stored_files(evidence_folder) == []


def test_a_file_just_over_the_cap_is_said_over_it(settings):
    settings.EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
    with pytest.raises(ValidationError) as refused:
        check_upload(upload("gros.pdf", PDF_BYTES + b"%" * (10 * 1024 * 1024)))
    assert refused.value.messages == [
        "« gros.pdf » pèse plus de 10\N{NO-BREAK SPACE}Mo : un justificatif ne dépasse pas "
        "10\N{NO-BREAK SPACE}Mo."
    ]


def test_a_body_over_the_evidence_cap_is_refused_before_it_is_read(
    client, settings, contact_a, waiting
):
    settings.EVIDENCE_MAX_BYTES = 100 * 1024
    client.force_login(contact_a)
    address = reverse("space:delivery_evidence", args=[waiting.pk])
    under = client.post(address, {"justificatif": upload("a.pdf", PDF_BYTES + b"%" * 90_000)})
    assert under.status_code == 302 and Evidence.objects.count() == 1
    over = client.post(address, {"justificatif": upload("b.pdf", PDF_BYTES + b"%" * 300_000)})
    assert over.status_code == 413
    assert Evidence.objects.count() == 1


def test_only_a_contact_gets_the_evidence_cap_and_others_are_refused_unread(
    client, rf, staff_agent, contact_a, waiting
):
    address = reverse("space:delivery_evidence", args=[waiting.pk])
    caps = {}
    for name, user in (("contact", contact_a), ("staff", staff_agent), ("anonymous", None)):
        request = rf.post(address)
        request.user = user or AnonymousUser()
        caps[name] = upload_cap(request)
    assert caps == {
        "contact": settings.EVIDENCE_MAX_BYTES + FORM_ROOM,
        "staff": UPLOAD_CAP,
        "anonymous": UPLOAD_CAP,
    }
    body = {"justificatif": upload("b.pdf", PDF_BYTES + b"%" * 300_000)}
    client.force_login(staff_agent)  # no contact of this actor: 404 before the body is read
    assert client.post(address, body).status_code == 404
    client.logout()
    assert client.post(address, body).status_code == 302
    assert not Evidence.objects.exists()


def test_a_delivery_or_report_holds_at_most_the_configured_number_of_files(
    client, settings, contact_a, report_a, evidence_folder
):
    settings.EVIDENCE_MAX_FILES = 2
    client.force_login(contact_a)
    address = reverse("space:report_evidence", args=[report_a.pk])
    for index in range(3):
        response = client.post(address, {"justificatif": upload(f"bilan-{index}.pdf")}, follow=True)
    assert (
        "2 justificatifs au plus : retirez-en un avant d'en ajouter. Rien n'a été ajouté."
        in text_of(response)
    )
    assert list(report_a.evidence.values_list("name", flat=True)) == ["bilan-0.pdf", "bilan-1.pdf"]
    assert len(stored_files(evidence_folder)) == 2  # the refused one was never stored


def test_posting_no_file_says_so(client, contact_a, report_a):
    client.force_login(contact_a)
    response = client.post(reverse("space:report_evidence", args=[report_a.pk]), follow=True)
    assert "Choisissez un fichier à joindre. Rien n'a été ajouté." in text_of(response)


def test_files_change_only_while_the_contact_may_change_what_they_prove(
    contact_a, staff_agent, commitment_a, waiting, report_a
):
    returned = commitment_a.report_delivery(amount=Decimal(1), date=JUNE_2021, by=contact_a)
    returned.return_for_revision(by=staff_agent, reason="La pièce manque")
    for target in (waiting, returned, report_a):
        Evidence.attach(target, upload(), by=contact_a)
    kept = Evidence.attach(waiting, upload("garde.pdf"), by=contact_a)

    waiting.validate(by=staff_agent)
    report_a.submit(by=contact_a, nothing_delivered=True, narrative="Rien")
    refusals = []
    for target in (Delivery.objects.get(pk=waiting.pk), ExpectedReport.objects.get(pk=report_a.pk)):
        with pytest.raises(ValidationError) as refused:
            Evidence.attach(target, upload(), by=contact_a)
        refusals.append(refused.value.messages[0])
    assert refusals == [
        "Cette réalisation est « Validée » : ses justificatifs ne changent plus.",
        "Cette déclaration est remise : elle attend l'examen de la préfecture.",
    ]
    with pytest.raises(ValidationError):
        Evidence.objects.get(pk=kept.pk).remove(by=contact_a)
    assert Evidence.objects.filter(pk=kept.pk).exists()
    assert Evidence.objects.count() == 4


def test_a_contact_removes_a_file_and_the_pages_say_so(client, contact_a, waiting):
    evidence = Evidence.attach(waiting, upload("erreur.pdf"), by=contact_a)
    client.force_login(contact_a)
    amend = reverse("space:amend_delivery", args=[waiting.pk])
    assert "erreur.pdf" in text_of(client.get(amend))
    response = client.post(reverse("space:remove_evidence", args=[evidence.key]), follow=True)
    assert response.redirect_chain[-1][0] == amend
    page = text_of(response)
    assert "Justificatif « erreur.pdf » retiré ; il reste dans l'historique." in page
    assert "Aucun justificatif." in page
    assert not Evidence.objects.exists()
    assert [h.history_type for h in Evidence.history.order_by("history_id")] == ["+", "-"]


def test_nobody_else_attaches_downloads_or_removes_a_contact_s_files(
    client, contact_a, contact_b, manager, waiting, report_a, evidence_folder
):
    evidence = Evidence.attach(waiting, upload(), by=contact_a)
    for intruder in (contact_b, manager):
        client.force_login(intruder)
        assert (
            client.post(
                reverse("space:delivery_evidence", args=[waiting.pk]), {"justificatif": upload()}
            ).status_code
            == 404
        )
        assert (
            client.post(
                reverse("space:report_evidence", args=[report_a.pk]), {"justificatif": upload()}
            ).status_code
            == 404
        )
        assert client.post(reverse("space:remove_evidence", args=[evidence.key])).status_code == 404
    client.force_login(contact_b)
    assert client.get(reverse("space:evidence", args=[evidence.key])).status_code == 404
    client.logout()
    response = client.get(reverse("space:evidence", args=[evidence.key]))
    assert response.status_code == 302 and response["Location"].startswith("/comptes/connexion/")
    assert list(Evidence.objects.all()) == [evidence]
    assert len(stored_files(evidence_folder)) == 1


def test_staff_download_the_files_of_their_territory_only(client, roles):
    load_forum()
    nord, somme = Territory.objects.get(slug="nord"), Territory.objects.get(slug="somme")
    nord_agent = staff_member("agent.nord", AGENTS, territory=nord)
    regional = staff_member("agent.region", AGENTS)
    contact = UserFactory()
    files = {}
    for territory in (nord, somme):
        commitment = CommitmentFactory(territory=territory, year=2021)
        delivery = commitment.report_delivery(amount=Decimal(1), date=JUNE_2021, by=contact)
        files[territory.slug] = Evidence.attach(delivery, upload(), by=contact)
    answers = {}
    for user in (nord_agent, regional):
        client.force_login(user)
        for slug, evidence in files.items():
            answers[user.username, slug] = client.get(
                reverse("space:evidence", args=[evidence.key])
            ).status_code
    assert answers == {
        ("agent.nord", "nord"): 200,
        ("agent.nord", "somme"): 404,
        ("agent.region", "nord"): 200,
        ("agent.region", "somme"): 200,
    }


def test_the_admin_lists_a_delivery_s_and_a_report_s_files_with_their_links(
    staff_client, contact_a, waiting, report_a
):
    on_delivery = Evidence.attach(waiting, upload("facture.pdf"), by=contact_a)
    on_report = Evidence.attach(report_a, upload("bilan.pdf"), by=contact_a)
    for admin_page, evidence in (
        (reverse("admin:commitments_delivery_change", args=[waiting.pk]), on_delivery),
        (reverse("admin:commitments_expectedreport_change", args=[report_a.pk]), on_report),
    ):
        page = staff_client.get(admin_page).content.decode()
        assert reverse("space:evidence", args=[evidence.key]) in page
        assert f">{evidence.name}</a> (fichier PDF, 1\N{NO-BREAK SPACE}ko, déposé le" in page


def test_the_report_page_offers_its_files_while_it_may_be_answered(client, contact_a, report_a):
    Evidence.attach(report_a, upload("bilan.pdf"), by=contact_a)
    client.force_login(contact_a)
    page = client.get(reverse("space:expected_report", args=[report_a.pk])).content.decode()
    assert 'enctype="multipart/form-data"' in page and "Ajouter le justificatif" in page
    assert "bilan.pdf" in page and "Retirer" in page
    report_a.submit(by=contact_a, nothing_delivered=True, narrative="Rien")
    page = client.get(reverse("space:expected_report", args=[report_a.pk])).content.decode()
    assert "bilan.pdf" in page
    assert "Ajouter le justificatif" not in page and "remove_evidence" not in page


def test_a_removed_file_is_kept_until_the_history_naming_it_is_purged(
    contact_a, waiting, evidence_folder, on_commit
):
    removed = Evidence.attach(waiting, upload("retire.pdf"), by=contact_a)
    kept = Evidence.attach(waiting, upload("garde.pdf"), by=contact_a)
    removed.remove(by=contact_a)
    assert len(stored_files(evidence_folder)) == 2  # the history still names it
    with on_commit():
        call_command("clean_old_history", "--auto", days=0, verbosity=0)
    assert not Evidence.history.exists()
    assert stored_files(evidence_folder) == [Path(evidence_folder) / kept.file.name]


def test_deleting_a_delivery_keeps_its_files_until_the_history_is_purged(
    contact_a, waiting, evidence_folder, on_commit
):
    evidence = Evidence.attach(waiting, upload(), by=contact_a)
    waiting.delete()
    assert not Evidence.objects.exists()
    assert Evidence.history.filter(history_type="-", key=evidence.key).exists()
    assert storages["evidence"].exists(evidence.file.name)
    with on_commit():
        call_command("clean_old_history", "--auto", days=0, verbosity=0)
    assert not storages["evidence"].exists(evidence.file.name)
    assert stored_files(evidence_folder) == []


def test_a_declaration_refused_or_posted_twice_leaves_no_stray_file(
    contact_a, commitment_a, evidence_folder
):
    key = uuid.uuid4()
    first = commitment_a.report_delivery(
        amount=Decimal(1), date=JUNE_2021, by=contact_a, submission_key=key, evidence=upload()
    )
    again = commitment_a.report_delivery(
        amount=Decimal(1), date=JUNE_2021, by=contact_a, submission_key=key, evidence=upload()
    )
    assert again.already_recorded and again.pk == first.pk
    assert len(stored_files(evidence_folder)) == 1 and Evidence.objects.count() == 1
    with pytest.raises(ValidationError):
        commitment_a.report_delivery(
            amount=Decimal(-1), date=JUNE_2021, by=contact_a, evidence=upload("refus.pdf")
        )
    assert len(stored_files(evidence_folder)) == 1 and Evidence.objects.count() == 1
