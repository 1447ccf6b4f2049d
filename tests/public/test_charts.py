"""The charts people read: a value axis with French ticks, the values written, planned and
delivered told apart by shape, over-delivery visible and its rate written; and the pages
that show them."""

import datetime
from decimal import Decimal

import pytest

from public.charts import cumulative_line, meter, nice_ticks, year_bars
from tests.helpers import text_of

NBSP = "\N{NO-BREAK SPACE}"


def row(year, planned, delivered, unit="euros", issue=1):
    planned, delivered = Decimal(planned), Decimal(delivered)
    rate = delivered / planned if planned else None
    return {
        "issue_id": issue,
        "year": year,
        "unit": unit,
        "planned": planned,
        "delivered": delivered,
        "rate": rate,
    }


def plain(text):
    return text.replace(NBSP, " ")


# The value axis


@pytest.mark.parametrize(
    ("top", "whole", "ticks"),
    [
        (888_000, False, [0, 250_000, 500_000, 750_000, 1_000_000]),
        (1_000, False, [0, 250, 500, 750, 1_000]),
        (1_001, False, [0, 500, 1_000, 1_500]),
        (3_471, True, [0, 1_000, 2_000, 3_000, 4_000]),
        (3, True, [0, 1, 2, 3]),
        (10, True, [0, 5, 10]),  # never 2,5 places
        (1, True, [0, 1]),
        (
            Decimal("0.8"),
            False,
            [0, Decimal("0.2"), Decimal("0.4"), Decimal("0.6"), Decimal("0.8")],
        ),
        (0, False, [0]),
    ],
)
def test_ticks_are_round_numbers_from_zero_past_the_top(top, whole, ticks):
    assert nice_ticks(top, whole=whole) == ticks


@pytest.mark.parametrize("top", [1, 7, 99, 1_234, 38_000, 888_000, 13_792_000, 10**9])
def test_there_are_three_to_five_ticks_and_the_last_covers_the_top(top):
    ticks = nice_ticks(top, whole=True)
    assert 2 <= len(ticks) <= 5
    assert len(ticks) >= 3 or top == 1
    assert ticks[-1] >= top > ticks[-2]


def test_the_axis_ticks_are_written_the_french_way():
    euros = year_bars([row(2021, 888_000, 266_442)], key="issue_id")[1, "euros"]
    assert [plain(t["label"]) for t in euros["ticks"]] == [
        "0 €",
        "250 k€",
        "500 k€",
        "750 k€",
        "1 M€",
    ]
    places = year_bars([row(2020, 3_471, 3_215, "places")], key="issue_id")[1, "places"]
    assert [plain(t["label"]) for t in places["ticks"]] == ["0", "1 000", "2 000", "3 000", "4 000"]


def test_ticks_are_evenly_spaced_along_the_axis():
    chart = year_bars([row(2021, 888_000, 266_442)], key="issue_id")[1, "euros"]
    positions = [float(t["at"]) for t in chart["ticks"]]
    gaps = {round(b - a, 1) for a, b in zip(positions, positions[1:], strict=False)}
    assert len(gaps) == 1
    assert positions[0] == 52.0
    assert positions[-1] <= chart["width"]


# The bars


def test_each_bar_has_its_value_written_and_the_year_its_rate():
    chart = year_bars([row(2019, 3_620_000, 1_460_000)], key="issue_id")[1, "euros"]
    (bar,) = chart["bars"]
    assert plain(bar["planned"]["label"]) == "3,62 M€"
    assert plain(bar["delivered"]["label"]) == "1,46 M€"
    assert plain(bar["rate"]) == "40 %"
    assert bar["row"]["year"] == 2019


def test_over_delivery_runs_past_the_planned_bar_and_its_target_line():
    chart = year_bars([row(2021, 68, 71, "places")], key="issue_id")[1, "places"]
    (bar,) = chart["bars"]
    planned, delivered = float(bar["planned"]["width"]), float(bar["delivered"]["width"])
    assert delivered > planned
    assert (
        float(bar["delivered"]["end"]) > float(bar["target"]["x"]) == float(bar["planned"]["end"])
    )
    assert bar["over"] is True
    assert plain(bar["rate"]) == "104 %"


def test_a_103_percent_year_is_written_103_percent():
    chart = year_bars([row(2021, 100, 103, "places")], key="issue_id")[1, "places"]
    assert plain(chart["bars"][0]["rate"]) == "103 %"


def test_the_delivered_value_is_written_clear_of_the_target_line():
    chart = year_bars([row(2020, 3_471, 3_215, "places")], key="issue_id")[1, "places"]
    (bar,) = chart["bars"]
    assert float(bar["delivered"]["label_x"]) > float(bar["target"]["x"])


def test_years_are_rows_that_stack_down_and_the_chart_grows_with_them():
    one = year_bars([row(2021, 10, 5)], key="issue_id")[1, "euros"]
    rows = [row(year, 10, 5) for year in (2019, 2020, 2021, 2022)]
    four = year_bars(rows, key="issue_id")[1, "euros"]
    assert four["width"] == one["width"] == 360
    assert four["height"] > one["height"]
    tops = [float(b["planned"]["y"]) for b in four["bars"]]
    assert tops == sorted(tops) and len(set(tops)) == 4


def test_a_single_year_makes_a_chart_of_one_row():
    charts = year_bars([row(2020, 500, 250, "places")], key="issue_id")
    chart = charts[1, "places"]
    assert len(chart["bars"]) == 1
    assert [plain(t["label"]) for t in chart["ticks"]] == ["0", "200", "400", "600"]


def test_nothing_planned_nor_delivered_draws_empty_bars_without_failing():
    chart = year_bars([row(2020, 0, 0)], key="issue_id")[1, "euros"]
    (bar,) = chart["bars"]
    assert bar["planned"]["width"] == bar["delivered"]["width"] == "0.0"
    assert [t["label"] for t in chart["ticks"]] == [f"0{NBSP}€"]
    assert bar["rate"] == "—"


def test_no_rows_make_no_chart():
    assert year_bars([], key="issue_id") == {}


def test_one_chart_per_key_and_unit():
    rows = [
        row(2020, 10, 5, "euros", 1),
        row(2020, 10, 5, "places", 1),
        row(2020, 1, 1, "euros", 2),
    ]
    assert set(year_bars(rows, key="issue_id")) == {(1, "euros"), (1, "places"), (2, "euros")}


# The cumulative line


def months(*amounts):
    cumulative, out = Decimal(0), []
    for index, amount in enumerate(amounts):
        cumulative += Decimal(amount)
        out.append(
            {
                "month": datetime.date(2021, index + 1, 1),
                "amount": Decimal(amount),
                "cumulative": cumulative,
            }
        )
    return out


def test_the_line_has_a_french_value_axis_and_its_last_value_written():
    chart = cumulative_line(months(1_000, 2_500, 867), "places")
    assert [plain(t["label"]) for t in chart["ticks"]] == ["0", "2 000", "4 000", "6 000"]
    assert plain(chart["total_label"]) == "4 367 places"
    ys = [float(t["at"]) for t in chart["ticks"]]
    assert ys == sorted(ys, reverse=True)  # upwards
    assert ys[0] == chart["baseline"]
    assert chart["end"]["anchor"] == "end"


def test_a_single_month_is_a_point_with_its_label_running_right():
    chart = cumulative_line(months(250), "euros")
    assert chart["single"] is True
    assert chart["end"]["anchor"] == "start"
    assert plain(chart["total_label"]) == "250 €"


def month_rows(*dated):
    cumulative, out = Decimal(0), []
    for day, amount in dated:
        cumulative += Decimal(amount)
        out.append({"month": day, "amount": Decimal(amount), "cumulative": cumulative})
    return out


def test_months_are_placed_along_time_and_each_january_is_labelled():
    date = datetime.date
    chart = cumulative_line(
        month_rows((date(2019, 1, 1), 10), (date(2019, 2, 1), 10), (date(2022, 12, 1), 10)),
        "places",
    )
    xs = [float(point.split(",")[0]) for point in chart["points"].split()]
    # February 2019 is one month of 47 after January 2019, not half way along the axis.
    assert xs[1] - xs[0] == pytest.approx((xs[2] - xs[0]) / 47, abs=0.1)
    # January 2022 is left out: its label would run into December 2022's.
    januaries = [j["month"] for j in chart["januaries"]]
    assert januaries == [date(2020, 1, 1), date(2021, 1, 1)]


def test_januaries_too_close_to_another_label_are_left_out():
    date = datetime.date
    chart = cumulative_line(month_rows((date(2020, 12, 1), 1), (date(2030, 1, 1), 1)), "places")
    shown = [j["month"].year for j in chart["januaries"]]
    assert shown and 2021 not in shown and 2030 not in shown  # beside the first, the last
    xs = [float(j["x"]) for j in chart["januaries"]]
    assert all(b - a >= 60 for a, b in zip(xs, xs[1:], strict=False))


def test_no_month_makes_no_line():
    assert cumulative_line([], "euros") is None


# The progress bars of the totals tables


def test_a_progress_bar_below_the_target_fills_part_of_the_track():
    bar = meter(Decimal("0.5"))
    assert (bar["filled"], bar["over"], bar["exceeded"]) == ("50.0", None, False)
    assert plain(bar["label"]) == "50 %"


def test_over_delivery_runs_past_the_target_tick_with_its_rate_written():
    bar = meter(Decimal("1.03"))
    assert bar["filled"] == "100.0" and bar["target"] == 100
    assert bar["over"] == "3.0"
    assert bar["exceeded"] is True
    assert plain(bar["label"]) == "103 %"


def test_a_huge_rate_is_capped_on_the_bar_but_written_in_full():
    bar = meter(Decimal("4.2"))
    assert float(bar["filled"]) + float(bar["over"]) == bar["width"]
    assert plain(bar["label"]) == "420 %"


# The pages


def test_the_accessibility_statement_no_longer_says_charts_lack_an_axis(client, db):
    page = text_of(client.get("/accessibilite/"))
    assert "ni axe ni valeurs" not in page
    assert "Les graphiques ont un axe gradué, leurs valeurs écrites" in page
