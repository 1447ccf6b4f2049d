"""The form field for amounts, used wherever people type one: the actor area and the admin."""

from decimal import Decimal

from django import forms
from django.db import models

from strategy.units import AMOUNT_MAX_LENGTH, AmountError, format_number, parse_amount

EXAMPLE = "Saisissez un montant, par exemple 1 500 000 ou 1 000,50."


class AmountField(forms.DecimalField):
    """An amount as French users type it (`1 000`, `1 000,50`, `1000.50`; see
    strategy.units.parse_amount), shown back as `1 000,50` so that a form sent unchanged
    is accepted again. Whether a negative or zero amount is allowed is the domain's rule
    (the model's validators and clean()), which says it in its own words."""

    widget = forms.TextInput
    default_error_messages = {
        "invalid": EXAMPLE,
        "too_long": f"Ce montant est trop long : {AMOUNT_MAX_LENGTH} caractères au plus. "
        + EXAMPLE,
        "max_decimal_places": "Au plus deux décimales, après une virgule : par exemple "
        "1 000,50. Les milliers se séparent par une espace, pas par un point.",
        "max_digits": "Ce montant est trop grand.",
        "max_whole_digits": "Ce montant est trop grand.",
    }

    def widget_attrs(self, widget):
        return {
            **super().widget_attrs(widget),
            "inputmode": "decimal",
            "autocomplete": "off",
            "maxlength": str(AMOUNT_MAX_LENGTH),
        }

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, Decimal):
            return value
        try:
            return parse_amount(value, decimals=self.decimal_places)
        except AmountError as error:
            raise forms.ValidationError(self.error_messages[error.code], code=error.code) from None

    def prepare_value(self, value):
        if isinstance(value, Decimal | int):
            return format_number(value)
        return value


# For a ModelAdmin or an inline: `formfield_overrides = AMOUNT_FORMFIELD_OVERRIDES`.
AMOUNT_FORMFIELD_OVERRIDES = {models.DecimalField: {"form_class": AmountField}}
