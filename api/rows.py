"""Model objects and totals rows as the API writes them: plain values, amounts as decimal
strings (see api/schemas.py), nothing the public pages do not show (no e-mail address, no
SIRET, no user, no review note, no comment)."""

AMOUNT_FIELDS = ("planned", "delivered", "rate")


def _text(value):
    return None if value is None else str(value)


def ref(obj):
    return {"slug": obj.slug, "name": obj.name} if obj is not None else None


def totals_row(row, key=None):
    values = {name: _text(row[name]) for name in AMOUNT_FIELDS}
    result = {"unit": row["unit"], **values, "count": row["count"]}
    if key is not None:
        result["key"] = key
    return result


def measure(measure):
    return {
        "slug": measure.slug,
        "name": measure.name,
        "description": measure.description,
        "unit": measure.unit,
        "issue": ref(measure.issue),
        "url": measure.get_absolute_url(),
    }


def actor(actor):
    return {
        "slug": actor.slug,
        "name": actor.name,
        "kind": actor.kind,
        "kind_label": str(actor.get_kind_display()),
        "is_public_sector": actor.is_public_sector,
        "territory": ref(actor.territory),
        "website": actor.website,
        "description": actor.description,
        "public_commitment_count": actor.public_commitment_count,
        "url": actor.get_absolute_url(),
    }


def forum(forum):
    return {
        "title": forum.title,
        "date": forum.date,
        "is_online": forum.is_online,
        "location": forum.location,
    }


def commitment(commitment):
    return {
        "id": commitment.pk,
        "title": commitment.title,
        "year": commitment.year,
        "status": commitment.status,
        "status_label": str(commitment.get_status_display()),
        "actor": ref(commitment.actor),
        "measure": ref(commitment.measure),
        "issue": ref(commitment.measure.issue),
        "territory": ref(commitment.territory),
        "unit": commitment.measure.unit,
        "planned": _text(commitment.planned_amount),
        "delivered": _text(commitment.delivered_amount),
        "rate": _text(commitment.rate),
    }


def delivery(delivery):
    return {"date": delivery.date, "amount": _text(delivery.amount)}


def page(queryset, to_row, limit, offset):
    """One page of a queryset ordered by its primary key, a unique key: walking the pages
    gives each row once. Two queries whatever the rows."""
    count = queryset.count()
    rows = [to_row(obj) for obj in queryset.order_by("pk")[offset : offset + limit]]
    return {"count": count, "results": rows}
