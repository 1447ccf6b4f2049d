from decimal import Decimal

from strategy.units import format_amount, format_rate

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
