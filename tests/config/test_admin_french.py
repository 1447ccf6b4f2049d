"""The admin reads as French for every model, whatever its gender; /favicon.ico answers.

The wrong forms are built from a grammar table written here, not from the project's own
strings: a model's noun, its plural and its gender give what Django's French catalog
writes wrong (an article of the other gender, "de" or "le" before a vowel, a participle
that does not agree, "objet" as a stand-in for the noun), and every admin page of every
registered model is read for them.
"""

import gettext
import html
import re
from pathlib import Path

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.test import RequestFactory
from django.urls import reverse

from commitments.models import Commitment
from config.history import ScopedAdminMixin
from strategy.models import Issue
from tests.config.test_admin_pages import populate
from tests.factories import IssueFactory, UserFactory

pytestmark = pytest.mark.django_db

MASCULINE, FEMININE = "m", "f"

# Every registered model's noun, its plural and its gender, as a French reader knows them.
GRAMMAR = {
    "territoire": ("territoires", MASCULINE),
    "enjeu": ("enjeux", MASCULINE),
    "mesure": ("mesures", FEMININE),
    "acteur": ("acteurs", MASCULINE),
    "référent": ("référents", MASCULINE),
    "forum": ("forums", MASCULINE),
    "engagement": ("engagements", MASCULINE),
    "réalisation": ("réalisations", FEMININE),
    "campagne de remontée": ("campagnes de remontée", FEMININE),
    "déclaration attendue": ("déclarations attendues", FEMININE),
    "utilisateur": ("utilisateurs", MASCULINE),
    "groupe": ("groupes", MASCULINE),
    "tentative de connexion": ("tentatives de connexion", FEMININE),
    "connexion": ("connexions", FEMININE),
    "échec de connexion": ("échecs de connexion", MASCULINE),
    "configuration": ("configurations", FEMININE),
    "échec d'envoi": ("échecs d'envoi", MASCULINE),
    "fichier de rapport préparé": ("fichiers de rapports préparés", MASCULINE),
}
VOWELS = "aeiouyàâéèêëîïôûh"
APOSTROPHE = "['’]"

# Django's stand-ins and anglicisms, wrong for any model.
ALWAYS_WRONG = [r"\bobjets?\b", r"\bà changer\b", r"\bchangé avec succès"]


def wrong_forms(noun, plural, gender):
    """Regular expressions of what a sentence about `noun` must never say."""
    n, p = re.escape(noun), re.escape(plural)
    # the other gender's article, indefinite article and plural participle ending
    other = {MASCULINE: ("la", "une", "es"), FEMININE: ("le", "un", "s")}[gender]
    forms = [
        rf"\b{other[0]} {n}\b",  # la engagement, le réalisation
        rf"\b{other[1]} {n}\b",  # une engagement, un réalisation
        # a participle of the other gender after the plural: réalisations sélectionnés
        rf"\b{p} (sélectionné|choisi|supprimé|modifié|ajouté){other[2]}\b",
        rf"\b{'toutes' if gender == MASCULINE else 'tous'} les \d+ {p}\b",
        # the noun alone after a verb or an action's name: "Ajouter réalisation"
        rf"\b(ajouter|modifier|supprimer|afficher|ajout de|modification de|affichage de) {n}\b",
    ]
    if noun[0].lower() in VOWELS:  # elision: de engagement, le acteur
        forms += [rf"\b(de|le|la|du|que) {n}\b", rf"\b(de|le|la) {p}\b"]
    return forms


WRONG = ALWAYS_WRONG + [form for noun, word in GRAMMAR.items() for form in wrong_forms(noun, *word)]


def mistakes(response):
    """The wrong forms a page says, in its text or in its attributes (titles, labels)."""
    raw = response.content.decode()
    text = " ".join([html.unescape(re.sub(r"<[^>]+>", " ", raw)), html.unescape(raw)])
    text = re.sub(r"\s+", " ", text.replace("\N{NO-BREAK SPACE}", " "))
    return sorted({m.group(0) for form in WRONG for m in re.finditer(form, text, re.I)})


def test_the_grammar_table_catches_what_django_s_french_catalog_writes():
    said = (
        "Sélectionnez l’objet réalisation à changer. Modification de engagement. "
        "Supprimer les réalisations sélectionnés. Ajouter acteur. la engagement. "
        "Sélectionner tous les 12 mesures"
    )

    class Page:
        content = said.encode()

    assert mistakes(Page) == sorted(
        {
            "objet",
            "à changer",
            "de engagement",
            "Modification de engagement",
            "réalisations sélectionnés",
            "Ajouter acteur",
            "la engagement",
            "tous les 12 mesures",
        }
    )


def test_every_registered_model_is_in_the_grammar_table():
    nouns = {str(model._meta.verbose_name).lower() for model in admin.site._registry}
    assert nouns <= set(GRAMMAR), nouns - set(GRAMMAR)
    assert {str(m._meta.verbose_name_plural).lower() for m in admin.site._registry} <= {
        plural for plural, _ in GRAMMAR.values()
    }


@pytest.fixture
def superuser_client(client):
    populate(2)
    Group.objects.create(name="Équipe")
    UserFactory(username="autre")
    AccessAttempt.objects.create(username="autre", ip_address="127.0.0.1", failures_since_start=5)
    AccessLog.objects.create(username="autre", ip_address="127.0.0.1")
    AccessFailureLog.objects.create(username="autre", ip_address="127.0.0.1")
    user = UserFactory(username="superagent", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def admin_pages(user):
    request = RequestFactory().get("/")
    request.user = user
    for model, model_admin in admin.site._registry.items():
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        yield reverse(f"{info}_changelist")
        yield reverse(f"{info}_changelist") + "?_popup=1&_to_field=id"
        if model_admin.has_add_permission(request):  # not axes' records of logins
            yield reverse(f"{info}_add")
        obj = model._default_manager.order_by("pk").first()
        if obj is not None:
            for page in ("change", "delete", "history"):
                yield reverse(f"{info}_{page}", args=[obj.pk])
        # Gone: our admins answer a 404 page in French (as for a row out of one's
        # territory); Django's own (groups, logins) a message on their list.
        gone = reverse(f"{info}_change", args=["999999"])
        yield gone + ("#404" if isinstance(model_admin, ScopedAdminMixin) else "")


def test_no_admin_page_of_any_model_says_a_wrong_form(superuser_client):
    pages = list(admin_pages(User.objects.get(username="superagent")))
    assert len(pages) > 4 * len(admin.site._registry)
    said = {}
    for address in pages:
        response = superuser_client.get(address, follow=True)
        assert response.status_code == (404 if address.endswith("#404") else 200), address
        if found := mistakes(response):
            said[address] = found
        assert 'rel="icon"' in response.content.decode(), address
    assert said == {}


def test_without_the_project_s_catalog_the_walk_finds_django_s_wrong_forms(
    superuser_client, settings
):
    settings.LOCALE_PATHS = []  # Django's own French catalog, as before
    deliveries = superuser_client.get(reverse("admin:commitments_delivery_changelist"))
    assert {"objet", "réalisations sélectionnés", "à changer"} <= set(mistakes(deliveries))
    commitment = superuser_client.get(
        reverse("admin:commitments_commitment_change", args=[Commitment.objects.first().pk])
    )
    assert "Modification de engagement" in mistakes(commitment)


def test_deleting_a_selection_asks_and_tells_in_french(superuser_client):
    changelist = reverse("admin:strategy_issue_changelist")
    selection = {"action": "delete_selected", "_selected_action": [IssueFactory().pk]}
    asked = superuser_client.post(changelist, selection)
    assert "Voulez-vous vraiment supprimer la sélection (enjeu) ?" in text(asked)
    assert mistakes(asked) == []
    done = superuser_client.post(changelist, {**selection, "post": "yes"}, follow=True)
    assert "Suppression réussie : 1 enjeu." in text(done)
    assert mistakes(done) == []
    listed = superuser_client.get(changelist)
    assert '<option value="delete_selected">Supprimer les fiches sélectionnées</option>' in (
        listed.content.decode()
    )


def test_saving_and_deleting_tell_the_agent_which_record_in_french(superuser_client):
    issue = IssueFactory(name="Insertion")
    change = reverse("admin:strategy_issue_change", args=[issue.pk])
    values = {"name": "Insertion durable", "slug": issue.slug, "position": issue.position}
    values.update({f"measures-{key}": value for key, value in MANAGEMENT.items()})

    saved = superuser_client.post(change, values, follow=True)
    assert "La fiche enjeu « Insertion durable » a été modifiée avec succès." in text(saved)
    again = superuser_client.post(change, {**values, "_continue": "1"}, follow=True)
    assert "Vous pouvez la modifier à nouveau ci-dessous." in text(again)
    assert "Modification de la fiche enjeu" in text(again)

    deleted = superuser_client.post(
        reverse("admin:strategy_issue_delete", args=[issue.pk]), {"post": "yes"}, follow=True
    )
    assert "La fiche enjeu « Insertion durable » a été supprimée avec succès." in text(deleted)
    assert not Issue.objects.filter(pk=issue.pk).exists()
    assert [mistakes(page) for page in (saved, again, deleted)] == [[], [], []]


MANAGEMENT = {"TOTAL_FORMS": 0, "INITIAL_FORMS": 0, "MIN_NUM_FORMS": 0, "MAX_NUM_FORMS": 1000}


def test_the_domain_s_lists_and_forms_name_their_records_with_an_agreeing_article(
    superuser_client,
):
    deliveries = superuser_client.get(reverse("admin:commitments_delivery_changelist"))
    assert "Sélectionnez la fiche réalisation à modifier" in text(deliveries)
    added = superuser_client.get(reverse("admin:commitments_commitment_add"))
    assert "Ajout d’une fiche engagement" in text(added)


def test_the_compiled_catalogs_say_what_their_sources_say():
    """The .mo files are committed (no gettext needed to run): they must follow the .po."""
    folder = Path(settings.LOCALE_PATHS[0]) / "fr" / "LC_MESSAGES"
    for name in ("django", "djangojs"):
        source = parse_po((folder / f"{name}.po").read_text())
        with open(folder / f"{name}.mo", "rb") as file:
            compiled = gettext.GNUTranslations(file)._catalog
        compiled = {key: value for key, value in compiled.items() if key != ""}
        assert compiled == source, name


def parse_po(source):
    """A .po file's translations as GNUTranslations holds them: msgid -> msgstr, and
    (msgid, n) -> msgstr[n] for plurals."""
    catalog, entry, current = {}, {}, None
    for line in [*source.splitlines(), ""]:
        if not line.strip():
            if entry.get("msgid"):
                if "msgid_plural" in entry:
                    for key, value in entry.items():
                        if key.startswith("msgstr["):
                            catalog[(entry["msgid"], int(key[7:-1]))] = value
                else:
                    catalog[entry["msgid"]] = entry["msgstr"]
            entry, current = {}, None
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            entry[current] += unquote(line)
        else:
            current, _, value = line.partition(" ")
            entry[current] = unquote(value)
    return catalog


def unquote(quoted):
    return quoted.strip()[1:-1].replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")


def text(response):
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())))


def test_favicon_is_the_design_system_s_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    body = response.content
    assert body[:4] == b"\x00\x00\x01\x00", "an ICO file's signature"
    package_icon = Path(__import__("dsfr").__file__).parent / "static/dsfr/dist/favicon/favicon.ico"
    assert body == package_icon.read_bytes()


def test_favicon_refuses_a_post(client):
    assert client.post("/favicon.ico").status_code == 405


def test_a_list_s_count_is_singular_below_two_as_in_french(superuser_client):
    import re

    from commitments.models import Delivery
    from tests.factories import DeliveryFactory

    Delivery.objects.all().delete()
    for count, word in [(0, "réalisation"), (1, "réalisation"), (2, "réalisations")]:
        while Delivery.objects.count() < count:
            DeliveryFactory()
        html = superuser_client.get("/admin/commitments/delivery/").content.decode()
        paginator = re.search(r'<p class="paginator">(.*?)</p>', html, re.S).group(1)
        assert " ".join(paginator.split()) == f"{count} {word}"
