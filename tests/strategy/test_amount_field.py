"""strategy.forms.AmountField, the one field people type amounts in (actor area, admin)."""

from decimal import Decimal

import pytest
from django import forms

from strategy.forms import AmountField

NBSP = "\N{NO-BREAK SPACE}"


class AmountForm(forms.Form):
    amount = AmountField(max_digits=15, decimal_places=2)


def test_it_is_a_text_input_that_asks_phones_for_a_decimal_keyboard():
    # A type="number" input would refuse "1 000,50" in the browser itself.
    html = str(AmountForm()["amount"])
    assert 'type="text"' in html
    assert 'inputmode="decimal"' in html
    assert 'maxlength="40"' in html
    assert "step=" not in html


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1 000", Decimal(1000)),
        (f"1{NBSP}000,50", Decimal("1000.50")),
        ("1000,5", Decimal("1000.5")),
        ("1000.50", Decimal("1000.50")),
        ("9 999 999 999 999,99", Decimal("9999999999999.99")),
    ],
)
def test_it_cleans_french_spellings_to_decimals(typed, expected):
    form = AmountForm({"amount": typed})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["amount"] == expected


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("beaucoup", "Saisissez un montant, par exemple 1 500 000 ou 1 000,50."),
        ("1.500", "Au plus deux décimales"),
        ("1,234", "Au plus deux décimales"),
        ("9" * 41, "Ce montant est trop long : 40 caractères au plus."),
        ("10 000 000 000 000", "Ce montant est trop grand."),
        ("", "Ce champ est obligatoire."),
    ],
)
def test_it_refuses_anything_else_in_french(typed, message):
    form = AmountForm({"amount": typed})
    assert not form.is_valid()
    assert message in " ".join(form.errors["amount"])


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        (Decimal("1000.50"), f"1{NBSP}000,50"),
        (Decimal("1500000.00"), f"1{NBSP}500{NBSP}000"),
        (Decimal("0.05"), "0,05"),
        (Decimal("12"), "12"),
    ],
)
def test_a_stored_amount_is_shown_the_french_way_and_sent_back_unchanged(stored, shown):
    html = str(AmountForm(initial={"amount": stored})["amount"])
    assert f'value="{shown}"' in html
    resent = AmountForm({"amount": shown}, initial={"amount": stored})
    assert resent.is_valid(), resent.errors
    assert resent.cleaned_data["amount"] == stored
    assert not resent.has_changed()


def test_a_refused_value_is_shown_back_as_it_was_typed():
    form = AmountForm({"amount": "1 000,505"})
    assert not form.is_valid()
    assert 'value="1 000,505"' in str(form["amount"])
