from decimal import Decimal

import pytest

from strategy.units import (
    AmountError,
    Unit,
    format_amount,
    format_rate,
    format_short,
    parse_amount,
)

NBSP = "\N{NO-BREAK SPACE}"


def test_amounts_are_written_the_french_way():
    assert format_amount(Decimal("1500000.00"), "euros") == f"1{NBSP}500{NBSP}000{NBSP}€"
    assert format_amount(Decimal("3000"), "places") == f"3{NBSP}000{NBSP}places"
    assert format_amount(Decimal("1234.5"), "euros") == f"1{NBSP}234,50{NBSP}€"
    assert format_amount(Decimal(1), "persons") == f"1{NBSP}personne"
    assert format_amount(None, "euros") == "—"


def test_rates_are_whole_percentages_or_a_dash():
    assert format_rate(Decimal("0.75")) == f"75{NBSP}%"
    assert format_rate(Decimal("0.3560")) == f"36{NBSP}%"
    assert format_rate(Decimal("1.25")) == f"125{NBSP}%"
    assert format_rate(None) == "—"


@pytest.mark.parametrize(
    ("value", "unit", "written"),
    [
        ("0", "euros", "0 €"),
        ("750", "places", "750"),
        ("9500", "euros", "9 500 €"),
        ("1234.5", "euros", "1 234,50 €"),
        ("10000", "euros", "10 k€"),
        ("12500", "euros", "12,5 k€"),
        ("250000", "euros", "250 k€"),
        ("266442.78", "euros", "266,4 k€"),
        ("999999", "euros", "1 M€"),  # not `1 000 k€`
        ("1500000", "euros", "1,5 M€"),
        ("1234567", "euros", "1,23 M€"),
        ("100000000", "euros", "100 M€"),
        ("3471", "places", "3 471"),
        ("25000", "persons", "25 k"),
        ("0.25", "places", "0,25"),
    ],
)
def test_short_figures_for_charts_are_written_the_french_way(value, unit, written):
    assert format_short(Decimal(value), unit) == written.replace(" ", NBSP)


def test_a_short_figure_of_nothing_is_a_dash():
    assert format_short(None, "euros") == "—"


# Words after a figure agree with it: the unit's noun for one and for many, its gender


@pytest.mark.parametrize(
    ("unit", "one", "many"),
    [
        (Unit.EUROS, "1 € prévu", "2 € prévus"),
        (Unit.PLACES, "1 place prévue", "2 places prévues"),
        (Unit.PERSONS, "1 personne prévue", "2 personnes prévues"),
        (Unit.HOUSEHOLDS, "1 ménage prévu", "2 ménages prévus"),
        (Unit.PROJECTS, "1 projet prévu", "2 projets prévus"),
    ],
)
def test_each_unit_agrees_its_noun_and_participle_in_singular_and_plural(unit, one, many):
    assert format_amount(Decimal(1), unit, "prévu").replace(NBSP, " ") == one
    assert format_amount(Decimal(2), unit, "prévu").replace(NBSP, " ") == many


@pytest.mark.parametrize(
    ("unit", "delivered"),
    [
        (Unit.EUROS, "25 184 € réalisés"),
        (Unit.PLACES, "25 184 places réalisées"),
        (Unit.PERSONS, "25 184 personnes accompagnées"),
        (Unit.HOUSEHOLDS, "25 184 ménages accompagnés"),
        (Unit.PROJECTS, "25 184 projets réalisés"),
    ],
)
def test_delivered_agrees_with_each_unit(unit, delivered):
    assert format_amount(Decimal(25184), unit, "réalisé").replace(NBSP, " ") == delivered


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal(0), "0 personne validée"),
        (Decimal("1.5"), "1,50 personne validée"),
        (Decimal("1.99"), "1,99 personne validée"),
        (Decimal(-1), "-1 personne validée"),
        (Decimal(2), "2 personnes validées"),
        (Decimal(-2), "-2 personnes validées"),
        (Decimal(1000), "1 000 personnes validées"),
    ],
)
def test_the_singular_goes_up_to_but_not_including_two(value, expected):
    assert format_amount(value, Unit.PERSONS, "validé").replace(NBSP, " ") == expected


def test_units_know_their_words_apart_from_a_participle():
    assert [Unit(unit).noun(1) for unit in Unit] == ["€", "place", "personne", "ménage", "projet"]
    assert [Unit(unit).noun(3) for unit in Unit] == [
        "€",
        "places",
        "personnes",
        "ménages",
        "projets",
    ]
    assert Unit.PLACES.agree("réalisé", Decimal(1)) == "réalisée"
    assert Unit.HOUSEHOLDS.agree("réalisé", Decimal(5)) == "accompagnés"
    assert Unit.PROJECTS.agree("réalisé", Decimal(5)) == "réalisés"
    assert format_amount(None, Unit.PLACES, "prévu") == "—"


# Amounts as French users type them

NNBSP = "\N{NARROW NO-BREAK SPACE}"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1000", Decimal(1000)),
        ("1 000", Decimal(1000)),
        (f"1{NBSP}000", Decimal(1000)),
        (f"1{NNBSP}000", Decimal(1000)),
        ("1 000,50", Decimal("1000.50")),
        (f"1{NBSP}000,50", Decimal("1000.50")),
        (f"1{NNBSP}500{NNBSP}000,05", Decimal("1500000.05")),
        ("1000,5", Decimal("1000.5")),
        ("1000.50", Decimal("1000.50")),
        ("  1 000,50 \t", Decimal("1000.50")),
        (f"{NBSP}42{NBSP}", Decimal(42)),
        ("1 500 000 €", Decimal(1500000)),
        ("1500000€", Decimal(1500000)),
        ("0,05", Decimal("0.05")),
        ("007", Decimal(7)),
        ("-5", Decimal(-5)),
        ("\N{MINUS SIGN}5,5", Decimal("-5.5")),
    ],
)
def test_amounts_are_read_as_french_users_type_them(typed, expected):
    amount = parse_amount(typed)
    assert amount == expected
    assert isinstance(amount, Decimal)


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("", "invalid"),
        ("   ", "invalid"),
        ("beaucoup", "invalid"),
        ("12abc", "invalid"),
        ("1.000,50", "invalid"),
        ("1 00", "invalid"),
        ("12 3456", "invalid"),
        ("1  000", "invalid"),
        (",5", "invalid"),
        ("5,", "invalid"),
        ("1,2,3", "invalid"),
        ("--5", "invalid"),
        ("5-", "invalid"),
        ("+5", "invalid"),
        ("1e5", "invalid"),
        ("NaN", "invalid"),
        ("Infinity", "invalid"),
        ("\uff11\uff12", "invalid"),  # full-width digits
        ("\u0661\u0662", "invalid"),  # Arabic-Indic digits, which Decimal() would read
        ("1,234", "max_decimal_places"),
        ("1.500", "max_decimal_places"),
        ("1000,500", "max_decimal_places"),
        ("1" * 41, "too_long"),
        ("x" * 100_000, "too_long"),
    ],
)
def test_anything_else_is_refused_with_a_reason(typed, code):
    with pytest.raises(AmountError) as excinfo:
        parse_amount(typed)
    assert excinfo.value.code == code
