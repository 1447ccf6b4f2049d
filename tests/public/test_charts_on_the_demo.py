"""The charts on the demo's pages (the demo is loaded once for the module: see
tests/conftest.py's demo_module): the axis, the values, the over-delivery, no extra query."""

import re

import pytest

from commitments.models import Commitment
from strategy.models import Territory
from strategy.units import format_rate
from tests.helpers import count_queries, text_of

NBSP = "\N{NO-BREAK SPACE}"


def nord_2021():
    """The demo's over-delivered figures for Nord in 2021, by the pages' own QuerySet."""
    nord = Territory.objects.get(slug="nord")
    rows = Commitment.objects.public().filtered(year=2021, territory=nord).totals("issue", "year")
    over = [r for r in rows if r["rate"] is not None and r["rate"] > 1]
    assert over, "the demo should over-deliver somewhere in Nord in 2021"
    return over[0]


def svgs(response):
    return re.findall(r'<svg class="suivi-chart".*?</svg>', response.content.decode(), re.S)


def test_the_dashboard_writes_the_axis_the_values_and_the_over_delivery(client, demo):
    over = nord_2021()
    response = client.get("/?territory=nord&year=2021")
    charts = svgs(response)
    assert charts
    chart_text = text_of(response)
    # An axis on each chart, starting at 0, with its gridlines
    assert all(">0</text>" in c or f">0{NBSP}€</text>" in c for c in charts)
    assert all('class="grid"' in c for c in charts)
    # The over-delivered year: its rate under the year, past 100 %, and in the table's bar
    rate = format_rate(over["rate"]).replace(NBSP, " ")
    assert int(rate.split()[0]) > 100
    assert any(f">{format_rate(over['rate'])}</text>" in c for c in charts)
    assert f"{rate} (objectif dépassé)" in chart_text
    assert 'class="over"' in response.content.decode()
    # Values on the bars, written short the French way
    assert re.search(r'class="value"[^>]*>[0-9][0-9 ,]*(?:\xa0(?:k|M)?€)?</text>', "".join(charts))


def test_the_dashboard_legend_says_how_planned_and_delivered_differ(client, demo):
    page = text_of(client.get("/"))
    assert "prévu (barre vide)" in page and "réalisé (barre pleine)" in page
    assert "le trait vertical marque le prévu" in page


def test_the_measure_page_writes_the_axis_and_the_last_value(client, demo):
    response = client.get("/mesures/places-hebergement-urgence/")
    (chart,) = svgs(response)
    ticks = re.findall(r'class="tick"[^>]*>([^<]+)</text>', chart)
    assert ticks[0] == "0" and len(ticks) >= 3
    assert all(re.fullmatch(r"[0-9]{1,3}(\xa0[0-9]{3})*", tick) for tick in ticks)
    total = re.search(r'class="value"[^>]*>([^<]+)</text>', chart)[1]
    assert total.endswith("places")
    assert total.replace(NBSP, " ") in text_of(response)
    assert re.search(r">[0-9]{2}/20[0-9]{2}</text>", chart)


@pytest.mark.parametrize(
    ("address", "queries"),
    [("/?territory=nord&year=2021", 8), ("/mesures/places-hebergement-urgence/", 6)],
)
def test_charts_add_no_query_to_the_demo_pages(client, demo, address, queries):
    # The counts pinned with a few rows (test_public_pages.PINNED: 8 for the dashboard,
    # whose per-territory figures the map needs, 6 for a measure), here with the whole
    # demo: the charts are drawn from figures the page already has.
    assert count_queries(client, address) == queries
