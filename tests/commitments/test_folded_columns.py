"""The commitment titles and delivery comments are kept folded by the database (stored
generated columns, strategy.text.stored_fold) and the search reads them: same answers as
folding at query time, whatever writes the row, and no history column for them."""

import pytest
from django.db import connection
from django.urls import reverse

from commitments.models import Commitment, Delivery
from strategy.text import fold
from tests.factories import CommitmentFactory, DeliveryFactory, UserFactory
from tests.helpers import text_of

pytestmark = pytest.mark.django_db

COMMITMENTS = reverse("admin:commitments_commitment_changelist")
DELIVERIES = reverse("admin:commitments_delivery_changelist")


def listed(response):
    return {obj.pk for obj in response.context["cl"].result_list}


def test_the_database_keeps_the_folded_title_and_comment_however_the_row_is_written():
    commitment = CommitmentFactory(title="Repas à l'ÉCOLE  primaire")
    delivery = DeliveryFactory(commitment=commitment, comment="Cantine de l’Œuvre")
    commitment.refresh_from_db()
    delivery.refresh_from_db()
    assert commitment.title_folded == fold(commitment.title) == "repas a l'ecole primaire"
    assert delivery.comment_folded == "cantine de l'oeuvre"
    # A bulk update bypasses save(): the column follows all the same.
    Commitment.objects.filter(pk=commitment.pk).update(title="Crèche Éveil")
    Delivery.objects.filter(pk=delivery.pk).update(comment="")
    assert Commitment.objects.get(pk=commitment.pk).title_folded == "creche eveil"
    assert Delivery.objects.get(pk=delivery.pk).comment_folded == ""


def test_fold_contains_reads_the_stored_column_where_the_model_keeps_one():
    sql = str(Delivery.objects.filter(commitment__title__fold_contains="ecole").query)
    assert "title_folded" in sql and "suivi_fold" not in sql
    sql = str(Delivery.objects.filter(comment__fold_contains="ecole").query)
    assert "comment_folded" in sql and "suivi_fold" not in sql
    # Elsewhere it folds at query time, as before.
    sql = str(Commitment.objects.filter(actor__name__fold_contains="ecole").query)
    assert "suivi_fold" in sql


def test_the_stored_column_finds_what_folding_at_query_time_finds(staff_client):
    titles = ["Repas à l'ÉCOLE", "École des parents", "Ecole", "Accueil", "Préfecture"]
    made = {title: CommitmentFactory(title=title) for title in titles}
    for term in ("ecole", "ÉCOLE", "préfec", "zzz"):
        expected = {c.pk for c in made.values() if fold(term) in fold(c.title)}
        assert listed(staff_client.get(COMMITMENTS, {"q": term})) == expected, term


def test_a_search_for_like_wildcards_matches_them_literally(staff_client):
    plain = DeliveryFactory(comment="Livré à 100 pour cent")
    percent = DeliveryFactory(comment="Livré à 100 % des places")
    assert listed(staff_client.get(DELIVERIES, {"q": "100 %"})) == {percent.pk}
    assert listed(staff_client.get(DELIVERIES, {"q": "_"})) == set()
    assert plain.pk not in listed(staff_client.get(DELIVERIES, {"q": "%"}))


def test_the_history_keeps_no_folded_column_and_records_each_change():
    for model, name in ((Commitment, "title_folded"), (Delivery, "comment_folded")):
        history = model.history.model
        assert name not in {field.name for field in history._meta.get_fields()}
        with connection.cursor() as cursor:
            columns = connection.introspection.get_table_description(cursor, history._meta.db_table)
        assert name not in {column.name for column in columns}
    commitment = CommitmentFactory(title="Avant")
    commitment.title = "Après"
    commitment.save()
    assert [h.title for h in commitment.history.order_by("history_id")] == ["Avant", "Après"]


def test_an_outsider_searching_the_folded_columns_is_sent_to_log_in(client):
    CommitmentFactory(title="École")
    client.force_login(UserFactory())
    response = client.get(COMMITMENTS, {"q": "ecole"})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_folded_columns_are_not_shown_nor_editable_in_the_admin(staff_client):
    commitment = CommitmentFactory(title="École")
    page = text_of(
        staff_client.get(reverse("admin:commitments_commitment_change", args=[commitment.pk]))
    )
    assert "replié" not in page
