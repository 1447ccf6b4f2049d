"""Words after a figure agree with it on every page of the demo, in the actors' area, the
admin and the mails (the demo is loaded once for the module: see tests/conftest.py's
demo_module). The checker is test_words_agree's."""

from django.contrib.auth import get_user_model
from django.template.loader import render_to_string
from django.urls import reverse

from actors.models import Actor
from commitments.models import Commitment, Delivery
from strategy.models import Issue, Measure
from tests.helpers import count_queries, text_of
from tests.public.test_words_agree import wrong_words


def page_text(client, address):
    response = client.get(address)
    assert response.status_code == 200, address
    return text_of(response)


def demo_addresses():
    yield from ["/", "/?year=2021", "/?territory=nord", "/?territory=hauts-de-france", "/enjeux/"]
    yield from (f"/?issue={slug}" for slug in Issue.objects.values_list("slug", flat=True))
    yield from (issue.get_absolute_url() for issue in Issue.objects.all())
    yield from (measure.get_absolute_url() for measure in Measure.objects.all())
    yield "/acteurs/"
    yield from (actor.get_absolute_url() for actor in Actor.objects.order_by("pk"))


def test_no_page_of_the_demo_writes_a_figure_with_words_that_disagree(client, demo):
    wrong, read = {}, 0
    for address in demo_addresses():
        mistakes, seen = wrong_words(page_text(client, address))
        read += seen
        if mistakes:
            wrong[address] = mistakes
    assert wrong == {}
    assert read > 500  # the checker did read the figures


def test_no_actor_area_admin_page_or_mail_of_the_demo_writes_disagreeing_words(client, demo):
    users = {u.username: u for u in get_user_model().objects.filter(username__endswith=".demo")}
    referent = get_user_model().objects.get(username="referent.a")
    client.force_login(referent)
    pages = [page_text(client, reverse("space:home"))]
    for commitment in Commitment.objects.filter(actor__memberships__user=referent)[:20]:
        pages.append(page_text(client, reverse("space:commitment", args=[commitment.pk])))
    client.force_login(users["agent.demo"])
    for name in ["commitment", "delivery"]:
        pages.append(page_text(client, reverse(f"admin:commitments_{name}_changelist")))
    for name in ["strategy_measure", "actors_actor"]:
        pages.append(page_text(client, reverse(f"admin:{name}_changelist")))
    for delivery in Delivery.objects.select_related("commitment__measure").order_by("pk")[:20]:
        delivery.reported_by = referent  # the demo's deliveries were reported by nobody
        context = {"delivery": delivery, "commitment": delivery.commitment, "link": "x"}
        for mail in ["reported", "reviewed"]:
            pages.append(render_to_string(f"commitments/email/{mail}.txt", context))
    text = " ".join(" ".join(page.replace("\N{NO-BREAK SPACE}", " ").split()) for page in pages)
    wrong, read = wrong_words(text)
    assert wrong == []
    assert len(pages) > 40 and read > 100, (len(pages), read)


def test_the_dashboard_query_count_stays_pinned(client, demo):
    assert count_queries(client, "/") == 8  # 7, and the map's per-territory totals
