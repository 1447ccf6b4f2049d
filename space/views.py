"""The actor area (/espace/): what campaigns expect of a contact's actors, then their
commitments; answering an expected report; reporting deliveries, editing or retracting
one still waiting for review, correcting a returned one.

Evidence files (justificatifs) are attached to a delivery while it waits for review or
is to be corrected, and to an expected report while it may be answered; they are
downloaded by the actor's contacts and by the staff of its territory.

Every view reaches its objects through get_commitment_for, get_delivery_for,
get_report_for or Evidence's QuerySet, which answer 404 to anyone who is not a contact of
the actor (or, for a download, staff of its territory).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from actors.models import Actor
from commitments.evidence import Evidence
from commitments.models import Commitment, Delivery, ExpectedReport, rows_by
from commitments.notifications import notify_reported
from space.forms import DeliveryForm, EvidenceForm, ExpectedReportForm

EVIDENCE = Prefetch("evidence", queryset=Evidence.objects.order_by("uploaded_at", "pk"))


def get_commitment_for(user, pk):
    return get_object_or_404(Commitment.objects.for_user(user).with_list_related_data(), pk=pk)


def get_delivery_for(user, pk):
    return get_object_or_404(
        Delivery.objects.filter(commitment__in=Commitment.objects.for_user(user)).select_related(
            "commitment__measure", "commitment__actor"
        ),
        pk=pk,
    )


def get_report_for(user, pk):
    return get_object_or_404(
        ExpectedReport.objects.for_user(user).select_related(
            "campaign", "commitment__actor", "commitment__measure", "submitted_by"
        ),
        pk=pk,
    )


@login_required
@require_safe
def home(request):
    actors = list(Actor.objects.filter(memberships__user=request.user).by_name())
    commitments = Commitment.objects.for_user(request.user)
    listed = list(
        commitments.with_list_related_data()
        .with_awaiting_count()
        .order_by("actor__name", "actor_id", "-year", "title", "pk")
    )
    by_actor = rows_by(commitments.totals("actor"), "actor_id")
    for actor in actors:
        actor.unit_totals = by_actor.get(actor.pk, [])
        actor.open_commitments = [
            c for c in listed if c.actor_id == actor.pk and c.status != c.Status.CANCELLED
        ]
        actor.cancelled_commitments = [
            c for c in listed if c.actor_id == actor.pk and c.status == c.Status.CANCELLED
        ]
    reports = list(ExpectedReport.objects.for_area(request.user))
    return render(
        request,
        "space/home.html",
        {
            "nav": "space",
            "reports": reports,
            "late": sum(report.is_late for report in reports),
            "actors": actors,
            "awaiting": sum(c.awaiting_count for c in listed),
            "breadcrumb_data": {"current": "Mon espace"},
        },
    )


@login_required
def commitment_detail(request, pk):
    commitment = get_commitment_for(request.user, pk)
    form = DeliveryForm(
        request.POST or None, request.FILES or None, commitment=commitment, with_evidence=True
    )
    if request.method == "POST" and form.is_valid():
        try:
            delivery = commitment.report_delivery(
                **form.domain_arguments(),
                submission_key=form.cleaned_data["submission_key"],
                evidence=form.cleaned_data["justificatif"],
                by=request.user,
            )
        except ValidationError as error:
            form.add_domain_error(error)
        else:
            if getattr(delivery, "already_recorded", False):
                messages.info(request, "Cette déclaration était déjà enregistrée.")
            else:
                notify_reported(delivery, request)
                messages.success(
                    request, "Réalisation déclarée : elle attend la validation de la préfecture."
                )
            return redirect("space:commitment", pk=commitment.pk)
    if form.is_bound:
        form.ask_for_file_again()
    deliveries = (
        commitment.deliveries.select_related("reported_by")
        .prefetch_related(EVIDENCE)
        .order_by(*Delivery.REVIEW_ORDERING)
    )
    return render(
        request,
        "space/commitment.html",
        {
            "nav": "space",
            "commitment": commitment,
            "deliveries": deliveries,
            "form": form,
            "breadcrumb_data": {
                "links": [{"url": reverse("space:home"), "title": "Mon espace"}],
                "current": commitment.title,
            },
        },
    )


@login_required
def expected_report(request, pk):
    """An expected report: its campaign, the period's deliveries, and the form that
    submits it while it may be answered."""
    report = get_report_for(request.user, pk)
    initial = {"narrative": report.narrative, "nothing_delivered": report.nothing_delivered}
    form = ExpectedReportForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if refusal := report.why_not_answerable:
            messages.info(request, f"{refusal} Rien n'a été modifié.")
            return redirect("space:expected_report", pk=report.pk)
        if form.is_valid():
            try:
                report.submit(by=request.user, **form.domain_arguments())
            except ValidationError as error:
                if getattr(error, "code", None) == "not_answerable":  # answered meanwhile
                    messages.info(request, f"{error.message} Rien n'a été modifié.")
                    return redirect("space:expected_report", pk=report.pk)
                form.add_domain_error(error)
            else:
                messages.success(
                    request, "Déclaration remise : elle attend l'examen de la préfecture."
                )
                return redirect("space:expected_report", pk=report.pk)
    deliveries = (
        report.deliveries_of_period(counted_only=False)
        .select_related("commitment", "reported_by")
        .prefetch_related(EVIDENCE)
        .order_by(*Delivery.REVIEW_ORDERING)
    )
    return render(
        request,
        "space/expected_report.html",
        {
            "nav": "space",
            "report": report,
            "campaign": report.campaign,
            "commitment": report.commitment,
            "deliveries": deliveries,
            "closed": report.is_closed_for_actor,
            "form": form,
            "files": report.evidence.order_by("uploaded_at", "pk"),
            "evidence_form": EvidenceForm(),
            "breadcrumb_data": {
                "links": [{"url": reverse("space:home"), "title": "Mon espace"}],
                "current": f"{report.campaign.title} — {report.commitment.title}",
            },
        },
    )


@login_required
def correct_delivery(request, pk):
    delivery = get_delivery_for(request.user, pk)
    commitment = delivery.commitment
    if delivery.status != Delivery.Status.RETURNED:
        messages.info(request, "Cette réalisation n'est pas à corriger.")
        return redirect("space:commitment", pk=commitment.pk)
    if not delivery.may_be_corrected:
        messages.info(
            request, "Cet engagement est annulé : ses réalisations ne sont plus à corriger."
        )
        return redirect("space:commitment", pk=commitment.pk)
    initial = {"amount": delivery.amount, "date": delivery.date, "comment": delivery.comment}
    form = DeliveryForm(request.POST or None, initial=initial, commitment=commitment)
    if request.method == "POST" and form.is_valid():
        try:
            delivery.resubmit(**form.domain_arguments(), by=request.user)
        except ValidationError as error:
            form.add_domain_error(error)
        else:
            notify_reported(delivery, request)
            messages.success(request, "Réalisation corrigée et déclarée à nouveau.")
            return redirect("space:commitment", pk=commitment.pk)
    return _delivery_page(request, "space/correct.html", delivery, form, "Corriger une réalisation")


@login_required
def amend_delivery(request, pk):
    """Edit a declaration still waiting for review; the page also offers to retract it."""
    delivery = get_delivery_for(request.user, pk)
    commitment = delivery.commitment
    if refusal := delivery.why_not_amended:
        messages.info(request, refusal)
        return redirect("space:commitment", pk=commitment.pk)
    initial = {"amount": delivery.amount, "date": delivery.date, "comment": delivery.comment}
    form = DeliveryForm(request.POST or None, initial=initial, commitment=commitment)
    if request.method == "POST" and form.is_valid():
        try:
            delivery.amend(**form.domain_arguments(), by=request.user)
        except ValidationError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, "Déclaration modifiée : elle attend toujours la validation.")
            return redirect("space:commitment", pk=commitment.pk)
    return _delivery_page(
        request, "space/amend.html", delivery, form, "Modifier ou retirer une déclaration"
    )


def _delivery_page(request, template, delivery, form, current):
    """A page about one of the contact's deliveries, under its commitment's breadcrumb."""
    commitment = delivery.commitment
    return render(
        request,
        template,
        {
            "nav": "space",
            "delivery": delivery,
            "commitment": commitment,
            "form": form,
            "files": delivery.evidence.order_by("uploaded_at", "pk"),
            "evidence_form": EvidenceForm(),
            "breadcrumb_data": {
                "links": [
                    {"url": reverse("space:home"), "title": "Mon espace"},
                    {
                        "url": reverse("space:commitment", args=[commitment.pk]),
                        "title": commitment.title,
                    },
                ],
                "current": current,
            },
        },
    )


@login_required
@require_POST
def retract_delivery(request, pk):
    delivery = get_delivery_for(request.user, pk)
    try:
        delivery.retract(by=request.user)
    except ValidationError as error:
        messages.info(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            f"Déclaration du {delivery.date:%d/%m/%Y} retirée : elle n'attend plus de "
            "validation, et reste dans l'historique.",
        )
    return redirect("space:commitment", pk=delivery.commitment_id)


def delivery_page(delivery):
    """Where a contact changes this delivery: its correction or amendment page while it may
    be, its commitment's page otherwise."""
    if delivery.may_be_corrected:
        return reverse("space:correct_delivery", args=[delivery.pk])
    if delivery.may_be_amended:
        return reverse("space:amend_delivery", args=[delivery.pk])
    return reverse("space:commitment", args=[delivery.commitment_id])


@login_required
@require_POST
def delivery_evidence(request, pk):
    delivery = get_delivery_for(request.user, pk)
    _attach(request, delivery)
    return redirect(delivery_page(delivery))


@login_required
@require_POST
def report_evidence(request, pk):
    report = get_report_for(request.user, pk)
    _attach(request, report)
    return redirect("space:expected_report", pk=report.pk)


def _attach(request, target):
    form = EvidenceForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["justificatif"]) + " Rien n'a été ajouté.")
        return
    upload = form.cleaned_data["justificatif"]
    try:
        evidence = Evidence.attach(target, upload, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages) + " Rien n'a été ajouté.")
    else:
        messages.success(request, f"Justificatif « {evidence.name} » ajouté.")


@login_required
@require_POST
def remove_evidence(request, key):
    evidence = get_object_or_404(
        Evidence.objects.of_contact(request.user).select_related(
            "delivery__commitment", "report__campaign"
        ),
        key=key,
    )
    try:
        evidence.remove(by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages) + " Rien n'a été retiré.")
    else:
        messages.success(
            request, f"Justificatif « {evidence.name} » retiré ; il reste dans l'historique."
        )
    if evidence.delivery is not None:
        return redirect(delivery_page(evidence.delivery))
    return redirect("space:expected_report", pk=evidence.report_id)


@login_required
@require_safe
def download_evidence(request, key):
    """Streams a file to whom may read it, as an attachment that no browser runs."""
    evidence = get_object_or_404(Evidence.objects.visible_to(request.user), key=key)
    try:
        handle = evidence.file.open("rb")
    except (FileNotFoundError, OSError) as error:
        raise Http404("Fichier introuvable dans le stockage.") from error
    response = FileResponse(
        handle, as_attachment=True, filename=evidence.name, content_type=evidence.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
