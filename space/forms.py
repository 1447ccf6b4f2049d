import uuid

from django import forms
from django.conf import settings
from dsfr.forms import DsfrBaseForm

from commitments.campaigns import NARRATIVE_MAX_LENGTH
from commitments.evidence import ACCEPTED_LIST, check_upload, size_label
from commitments.models import AMOUNT_DECIMALS, AMOUNT_DIGITS, TO_CONFIRM, Delivery
from strategy.forms import AmountField
from strategy.units import Unit

COMMENT_MAX_LENGTH = Delivery._meta.get_field("comment").max_length


class EvidenceField(forms.FileField):
    """An evidence file, checked by its content and its size (commitments.evidence)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Justificatif")
        kwargs.setdefault(
            "help_text",
            f"{ACCEPTED_LIST} ; {size_label(settings.EVIDENCE_MAX_BYTES)} au plus.",
        )
        kwargs.setdefault("error_messages", {"required": "Choisissez un fichier à joindre."})
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if upload:
            check_upload(upload)
        return upload


class EvidenceForm(DsfrBaseForm):
    """A file to attach to a delivery or an expected report."""

    justificatif = EvidenceField()


class DeliveryForm(DsfrBaseForm):
    """What a contact reports; the rules themselves live in Delivery.clean(), and what is
    to be confirmed in Delivery.points_to_confirm().

    The confirmation is a checkbox the template shows once the domain asked for one; its
    value is the figures it confirms (`figures`), so that a confirmation holds for those
    figures only: changing the amount or the date asks again."""

    CONFIRM = "confirm"

    amount = AmountField(max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_DECIMALS)
    date = forms.DateField(
        label="Date de réalisation",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="Au format jj/mm/aaaa, pas dans le futur ; une date antérieure à l'année "
        "de l'engagement vous sera demandée en confirmation.",
    )
    comment = forms.CharField(
        label="Commentaire",
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Ce qui a été fait, les pièces disponibles (facultatif).",
    )
    submission_key = forms.UUIDField(widget=forms.HiddenInput, required=False)
    justificatif = EvidenceField(required=False)

    def __init__(self, *args, commitment, with_evidence=False, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("submission_key", uuid.uuid4())
        super().__init__(*args, **kwargs)
        if not with_evidence:  # files are added on their own form once it is declared
            del self.fields["justificatif"]
        unit = Unit(commitment.measure.unit)
        amount = self.fields["amount"]
        amount.label = f"Montant réalisé, en {unit.label}"
        if unit.is_whole:
            amount.help_text = f"Un nombre entier de {unit.label}, par exemple 1 500."
        else:
            amount.help_text = "En euros, avec au plus deux décimales : 1 500 ou 1 000,50."
        # DsfrBaseForm built the bound fields already, with the labels of then.
        self._bound_fields_cache.clear()

    @property
    def figures(self):
        """The amount and date as typed, which a confirmation names."""
        return f"{self.data.get('amount', '').strip()}|{self.data.get('date', '').strip()}"

    @property
    def confirmed(self):
        return self.is_bound and self.data.get(self.CONFIRM) == self.figures

    @property
    def asks_confirmation(self):
        return any(
            error.code == TO_CONFIRM
            for errors in self.errors.as_data().values()
            for error in errors
        )

    def add_domain_error(self, error):
        """A ValidationError from the domain methods, shown on its fields."""
        self.add_error(None, error)

    def ask_for_file_again(self):
        """Shown again (an error, figures to confirm), the form has lost the file chosen:
        no browser fills a file input back. Say so on the field, lest the declaration go
        without it once confirmed."""
        if (
            "justificatif" in self.fields
            and self.cleaned_data.get("justificatif")
            and "justificatif" not in self.errors
        ):
            self.add_error(
                "justificatif",
                f"« {self.cleaned_data['justificatif'].name} » n'est pas encore joint : "
                "choisissez-le à nouveau avant d'envoyer.",
            )

    def domain_arguments(self):
        """What the domain methods (report_delivery, resubmit, amend) take from this form."""
        data = self.cleaned_data
        return {
            "amount": data["amount"],
            "date": data["date"],
            "comment": data["comment"],
            "confirmed": self.confirmed,
        }


class ExpectedReportForm(DsfrBaseForm):
    """What a contact submits for a campaign; the rules (a comment when nothing was
    delivered, deliveries of the period otherwise, once only) are ExpectedReport.submit's."""

    nothing_delivered = forms.BooleanField(
        label="Rien de réalisé sur la période",
        required=False,
        help_text="Cochez si aucune réalisation n'a eu lieu ; dites pourquoi ci-dessous.",
    )
    narrative = forms.CharField(
        label="Récit",
        required=False,
        max_length=NARRATIVE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=f"Ce qui a été fait sur la période, ou pourquoi rien ne l'a été "
        f"({NARRATIVE_MAX_LENGTH:_} caractères au plus).".replace("_", "\N{NO-BREAK SPACE}"),
    )

    def add_domain_error(self, error):
        """A ValidationError from ExpectedReport.submit, shown on its field or the form."""
        self.add_error(None, error)

    def domain_arguments(self):
        return {
            "narrative": self.cleaned_data["narrative"],
            "nothing_delivered": self.cleaned_data["nothing_delivered"],
        }
