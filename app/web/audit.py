"""The audit trail page: every change with who, when, before/after and why."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app import clock
from app.domain import audit_log
from app.extensions import db
from app.models import Commune, Role, Slot, User
from app.web import audit_format, params
from app.web.access import roles
from app.web.htmx import pick

bp = Blueprint("audit", __name__, url_prefix="/audit")

AREAS = {
    "slot": _l("Semanas"),
    "swap": _l("Intercambios"),
    "program": _l("Reglas"),
    "commune": _l("Comunas"),
    "user": _l("Usuarios"),
    "nomination": _l("Nominaciones"),
    "entrepreneur": _l("Emprendedores"),
    "stand": _l("Stands"),
}


@bp.route("/")
@roles(Role.ADMIN, Role.COORDINATOR, Role.VIEWER)
def index():
    filters = {
        "slot_id": params.arg_id("slot"),
        "commune_id": params.arg_id("commune"),
        "entrepreneur_id": params.arg_id("entrepreneur"),
        "action_prefix": request.args.get("area") if request.args.get("area") in AREAS else None,
        "actor_id": params.arg_id("person"),
        "week_of": _week_arg(),
    }
    result = audit_log.search(**filters, page=params.arg_page())
    communes = db.session.execute(select(Commune).order_by(Commune.name)).scalars().all()
    slots = db.session.execute(select(Slot).order_by(Slot.starts_on)).scalars().all()
    people = db.session.execute(select(User).order_by(User.name)).scalars().all()
    return render_template(
        pick("audit/index.html", "audit/_results.html"),
        result=result,
        entries=audit_log.readable(result.events),
        sentence=audit_format.sentence,
        people=people,
        weeks=audit_log.recent_weeks(clock.today()),
        filters=filters,
        communes=communes,
        commune_names={c.id: c.name for c in communes},
        slots=slots,
        areas=AREAS,
        action_label=audit_format.action_label,
        describe=lambda values: audit_format.describe(
            values, {c.id: c.name for c in communes}, people={p.id: p.name for p in people}
        ),
        page_url=lambda n: url_for("audit.index", **{**request.args.to_dict(), "page": n}),
    )


def _week_arg() -> date | None:
    """?week=2026-11-30: the week holding that day; anything else is no filter."""
    raw = request.args.get("week", "")
    try:
        return date.fromisoformat(raw) if len(raw) == 10 else None
    except ValueError:
        return None
