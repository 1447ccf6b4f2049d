"""The open data files: only what the public pages show, valid against their Table
Schema (frictionless), the dashboard's figures, served with ETag and rebuilt after a
validation."""

import io
import json
from decimal import Decimal

import openpyxl
import pytest
from django.core.cache import cache
from frictionless import Package, Resource, Schema, formats

from opendata import files
from opendata.datasets import DATASETS, FORMATS
from reports.exports import EXPORTERS
from strategy.units import Unit
from tests.factories import DeliveryFactory, UserFactory
from tests.opendata.conftest import make_public_rows

pytestmark = pytest.mark.django_db
NAMES = list(DATASETS)
EVERY_FILE = [(name, extension) for name in NAMES for extension in FORMATS]


def download(client, name, extension):
    response = client.get(f"/donnees/{name}.{extension}")
    assert response.status_code == 200, (name, extension)
    return b"".join(response.streaming_content)


def xlsx_text(content):
    """Every cell of every sheet, as text."""
    workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    return "\n".join(
        str(value)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    )


def text_of_file(content, extension):
    return xlsx_text(content) if extension == "xlsx" else content.decode("utf-8")


def schema_of(client, name):
    response = client.get(f"/donnees/{name}.schema.json")
    assert response.status_code == 200
    return Schema.from_descriptor(json.loads(response.content))


@pytest.mark.parametrize(("name", "extension"), EVERY_FILE)
def test_no_private_data_in_any_file(client, secrets, cancelled, name, extension):
    text = text_of_file(download(client, name, extension), extension)
    for secret in secrets:
        assert secret not in text, (name, extension, secret)


def test_the_files_hold_what_the_public_pages_show(client, public_rows, secrets, cancelled):
    commitments = json.loads(download(client, "engagements", "json"))
    deliveries = json.loads(download(client, "realisations", "json"))
    # Public commitments, the cancelled one included (the pages list it apart), with its status.
    assert len(commitments) == len(public_rows) + 1
    assert {"ENGAGEMENT-ANNULE": "Annulé"}.items() <= {
        row["intitule"]: row["statut"] for row in commitments
    }.items()
    # Validated deliveries of public commitments only: one a commitment.
    assert sorted(row["engagement_id"] for row in deliveries) == sorted(c.pk for c in public_rows)
    assert {row["montant"] for row in deliveries} == {250.5, 30}
    for dataset in DATASETS.values():
        assert not {"courriel", "commentaire", "declaree_par", "examinee_par", "public"} & set(
            dataset.exporter.headers
        )


def test_json_numbers_are_numbers_and_dates_iso(client, public_rows):
    row = json.loads(download(client, "realisations", "json"), parse_float=Decimal)[0]
    assert row["montant"] == Decimal("250.50")
    assert row["date"] == "2021-03-04"
    assert isinstance(row["annee"], int)


def packages(client, folder):
    """The four files in each format, as frictionless packages (foreign keys checked
    across them), read back from what the site served."""
    schemas = {name: schema_of(client, name) for name in NAMES}
    built = {}
    for extension in FORMATS:
        resources = []
        for name in NAMES:
            content = download(client, name, extension)
            if extension == "json":
                resources.append(
                    Resource(name=name, data=json.loads(content), schema=schemas[name])
                )
                continue
            (folder / f"{name}.{extension}").write_bytes(content)
            control = {"control": formats.ExcelControl(sheet=1)} if extension == "xlsx" else {}
            resources.append(
                Resource(name=name, path=f"{name}.{extension}", schema=schemas[name], **control)
            )
        built[extension] = Package(resources=resources, basepath=str(folder))
    return built


def test_every_file_is_valid_against_its_schema(client, tmp_path, secrets, cancelled):
    for extension, package in packages(client, tmp_path).items():
        report = package.validate()
        assert report.valid, (extension, report.flatten(["resourceName", "rowNumber", "note"]))
        assert [task.stats["rows"] for task in report.tasks] == [
            DATASETS[name].count() for name in NAMES
        ], extension


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (lambda row: row | {"prevu": "beaucoup"}, "type-error"),
        (lambda row: row | {"statut": "Peut-être"}, "constraint-error"),
        (lambda row: row | {"acteur_slug": "inconnu"}, "foreign-key"),
        (lambda row: row | {"id": None}, "constraint-error"),
    ],
)
def test_the_schema_refuses_a_wrong_row(client, public_rows, change, error):
    """The validation can fail: one wrong row of the commitments is caught."""
    schemas = {name: schema_of(client, name) for name in ("engagements", "acteurs")}
    rows = json.loads(download(client, "engagements", "json"))
    rows[0] = change(rows[0])
    package = Package(
        resources=[
            Resource(name="engagements", data=rows, schema=schemas["engagements"]),
            Resource(
                name="acteurs",
                data=json.loads(download(client, "acteurs", "json")),
                schema=schemas["acteurs"],
            ),
        ]
    )
    report = package.validate()
    assert not report.valid
    assert error in {kind for (kind,) in report.flatten(["type"])}


def test_the_totals_are_the_dashboards(client, public_rows, secrets, cancelled):
    totals = {}
    for row in json.loads(download(client, "totaux", "json"), parse_float=Decimal):
        planned, delivered = totals.get((row["enjeu"], row["unite"]), (0, 0))
        totals[(row["enjeu"], row["unite"])] = (planned + row["prevu"], delivered + row["realise"])
    dashboard = {}
    for issue in client.get("/").context["issues"]:
        for row in issue.unit_totals:
            dashboard[(issue.name, str(Unit(row["unit"]).label))] = (
                row["planned"],
                row["delivered"],
            )
    assert totals and totals == dashboard


def test_an_unknown_file_is_not_found(client, db):
    for address in [
        "/donnees/inconnu.csv",
        "/donnees/engagements.txt",
        "/donnees/inconnu.schema.json",
        "/donnees/engagements.csv/",
        "/donnees/../engagements.csv",
    ]:
        assert client.get(address).status_code == 404, address


def test_query_parameters_are_ignored(client, public_rows):
    plain = download(client, "engagements", "csv")
    assert client.get("/donnees/engagements.csv?annee=2021&x=<b>").status_code == 200
    assert b"".join(client.get("/donnees/engagements.csv?annee=2021").streaming_content) == plain


def test_head_answers_the_headers_without_the_body(client, public_rows):
    response = client.head("/donnees/engagements.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["ETag"] and response["Last-Modified"]
    assert b"".join(response.streaming_content) == b""


def test_the_schema_is_made_from_the_columns(client, db):
    schema = json.loads(client.get("/donnees/realisations.schema.json").content)
    assert schema["missingValues"] == [""]
    assert schema["primaryKey"] == ["id"]
    assert schema["foreignKeys"] == [
        {"fields": ["engagement_id"], "reference": {"resource": "engagements", "fields": ["id"]}}
    ]
    exporter = DATASETS["realisations"].exporter
    assert [field["name"] for field in schema["fields"]] == exporter.headers
    assert [field["description"] for field in schema["fields"]] == [
        column.meaning for column in exporter.columns
    ]
    types = {field["name"]: field["type"] for field in schema["fields"]}
    assert (types["montant"], types["date"], types["annee"]) == ("number", "date", "integer")


@pytest.mark.real_cache
class TestBuiltOncePerFiguresVersion:
    @pytest.fixture(autouse=True)
    def fresh_cache(self):
        cache.clear()

    def test_the_second_download_is_read_from_disk_without_a_query(
        self, client, public_rows, django_assert_num_queries, monkeypatch
    ):
        first = download(client, "totaux", "csv")
        monkeypatch.setattr(files, "_write", lambda *args: pytest.fail("built again"))
        with django_assert_num_queries(0):
            assert download(client, "totaux", "csv") == first

    def test_an_unchanged_file_answers_304(self, client, public_rows):
        response = client.get("/donnees/engagements.xlsx")
        assert response["Cache-Control"] == f"public, max-age={300}"
        again = client.get("/donnees/engagements.xlsx", HTTP_IF_NONE_MATCH=response["ETag"])
        assert again.status_code == 304
        since = client.get(
            "/donnees/engagements.xlsx", HTTP_IF_MODIFIED_SINCE=response["Last-Modified"]
        )
        assert since.status_code == 304

    def test_a_validation_rebuilds_the_files(self, client, public_rows, on_commit):
        before = client.get("/donnees/realisations.csv")
        old = b"".join(before.streaming_content)
        old_folder = files.root() / files.figures_version()
        # What else the folder holds is never deleted, only older versions' folders.
        (files.root() / "autre-chose").mkdir()
        delivery = DeliveryFactory(commitment=public_rows[1], amount=Decimal("4321.09"))
        with on_commit():
            delivery.validate(by=UserFactory(username="agent"))
        after = client.get("/donnees/realisations.csv", HTTP_IF_NONE_MATCH=before["ETag"])
        assert after.status_code == 200
        assert after["ETag"] != before["ETag"]
        new = b"".join(after.streaming_content)
        assert b"4321.09" in new and b"4321.09" not in old
        assert not old_folder.exists()  # the older version's files are deleted
        assert (files.root() / "autre-chose").is_dir()


@pytest.mark.real_cache
def test_a_file_being_built_elsewhere_is_waited_for_then_503(client, db, monkeypatch):
    cache.clear()
    # Another request holds the build's lock and has not finished.
    cache.add(f"opendata:lock:{files.figures_version()}:acteurs.json", 1)
    monkeypatch.setattr(files, "WAIT_SECONDS", 0)
    response = client.get("/donnees/acteurs.json")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    cache.clear()


@pytest.mark.parametrize(("name", "extension"), EVERY_FILE)
def test_file_queries_do_not_grow_with_rows(client, name, extension, django_assert_num_queries):
    """Built on each request here (no cache): the query count of a build, at 3 and 9
    commitments alike (an iterator adds one per 2 000 rows beyond)."""
    make_public_rows(3)
    with django_assert_num_queries(QUERIES[name]):
        download(client, name, extension)
    make_public_rows(6, agent=UserFactory(username="agent-2"))
    with django_assert_num_queries(QUERIES[name]):
        download(client, name, extension)


# totaux: the measures (with their issues) and the territories its names, order and
# areas are made of, then its rows.
QUERIES = {"engagements": 1, "realisations": 1, "acteurs": 1, "totaux": 3}


def test_schema_queries(client, db, django_assert_num_queries):
    for name in NAMES:
        with django_assert_num_queries(0):
            assert client.get(f"/donnees/{name}.schema.json").status_code == 200


def test_the_xlsx_says_what_it_holds(client, public_rows):
    workbook = openpyxl.load_workbook(io.BytesIO(download(client, "engagements", "xlsx")))
    assert workbook.sheetnames == ["Engagements", "À propos"]
    about = dict(workbook["À propos"].iter_rows(values_only=True))
    assert about["Contenu"] == DATASETS["engagements"].description
    assert about["taux_realisation"] == "Réalisé divisé par prévu ; vide si rien n'est prévu."
    assert "public" not in about


@pytest.mark.parametrize("name", NAMES)
def test_no_column_speaks_of_importing_where_nothing_is_imported(client, db, name):
    """The reports' `id` says « à garder pour réimporter le fichier »; open data says what
    the identifier is to a reuser, in the schema and in the XLSX alike."""
    schema = client.get(f"/donnees/{name}.schema.json").content.decode()
    about = openpyxl.load_workbook(io.BytesIO(download(client, name, "xlsx")))["À propos"]
    meanings = " ".join(str(value) for row in about.iter_rows(values_only=True) for value in row)
    for words in ("réimporter", "import"):
        assert words not in schema
        assert words not in meanings
    assert "réimporter" in EXPORTERS["engagements"].columns[0].meaning  # the reports keep it


def test_only_refuses_to_reword_a_column_it_lacks():
    with pytest.raises(ValueError, match="inconnue"):
        EXPORTERS["engagements"].only(["id"], counts="", selection="", meanings={"inconnue": "x"})


def test_the_data_package_validates_the_csv_files_as_a_reuser_would(
    client, tmp_path, secrets, cancelled
):
    """datapackage.json beside the four CSV files, as a reuser saves them: frictionless
    validates them together, foreign keys included, from the descriptor alone."""
    response = client.get("/donnees/datapackage.json")
    assert response["Content-Type"] == "application/json"
    descriptor = json.loads(response.content)
    assert [r["name"] for r in descriptor["resources"]] == NAMES
    for resource in descriptor["resources"]:
        served = client.get(f"/donnees/{resource['name']}.schema.json").content
        assert resource["schema"] == json.loads(served)
        (tmp_path / resource["path"]).write_bytes(download(client, resource["name"], "csv"))
    (tmp_path / "datapackage.json").write_bytes(response.content)
    report = Package(str(tmp_path / "datapackage.json")).validate()
    assert report.valid, report.flatten(["resourceName", "rowNumber", "note"])
    assert [task.stats["rows"] for task in report.tasks] == [
        DATASETS[name].count() for name in NAMES
    ]


def test_the_data_package_refuses_a_broken_link(client, tmp_path, public_rows):
    descriptor = json.loads(client.get("/donnees/datapackage.json").content)
    for resource in descriptor["resources"]:
        (tmp_path / resource["path"]).write_bytes(download(client, resource["name"], "csv"))
    actors = (tmp_path / "acteurs.csv").read_text(encoding="utf-8").splitlines()
    (tmp_path / "acteurs.csv").write_text(actors[0] + "\n", encoding="utf-8")  # no actor
    (tmp_path / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    report = Package(str(tmp_path / "datapackage.json")).validate()
    assert not report.valid
    assert "foreign-key" in {error.type for task in report.tasks for error in task.errors}


def test_the_data_package_costs_no_query(client, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert client.get("/donnees/datapackage.json").status_code == 200
