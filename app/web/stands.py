"""The venue's stands: list, map, editing, closures and positions on the map."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import BooleanField, IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app import clock
from app.domain import policy
from app.domain import stands as stand_ops
from app.domain.errors import DomainError, Invalid
from app.extensions import db
from app.i18n import fmt_week
from app.models import Nomination, Slot, Stand, StandAssignment, StandClosure, Venue
from app.web import actions
from app.web.access import actor, roles, staff
from app.web.htmx import is_htmx

bp = Blueprint("stands", __name__, url_prefix="/stands")
COORDINATORS = policy.MALL  # who runs the mall, as the domain asks it


class StandForm(FlaskForm):
    code = StringField(_l("Código"), validators=[DataRequired(), Length(max=20)])
    location = StringField(_l("Ubicación"), validators=[Optional(), Length(max=120)])
    area_m2 = IntegerField(_l("Superficie (m²)"), validators=[Optional(), NumberRange(1, 500)])
    has_power = BooleanField(_l("Tiene enchufe"))
    food_allowed = BooleanField(_l("Permite alimentos"))
    active = BooleanField(_l("Activo"), default=True)


def _venue() -> Venue:
    venue = db.session.execute(select(Venue).order_by(Venue.id).limit(1)).scalar_one_or_none()
    if venue is None:
        abort(404)
    return venue


def _stand_or_404(stand_id: int) -> Stand:
    stand = db.session.get(Stand, stand_id)
    if stand is None:
        abort(404)
    return stand


def _week(slot_id: int | None) -> tuple[date, date, Slot | None]:
    if slot_id:
        slot = db.session.get(Slot, slot_id)
        if slot is None:
            abort(404)
        return slot.starts_on, slot.ends_on, slot
    today = clock.today()
    return today, today, None


@bp.route("/")
@staff
def index():
    venue = _venue()
    start, end, slot = _week(request.args.get("slot", type=int))
    stands = (
        db.session.execute(
            select(Stand)
            .where(Stand.venue_id == venue.id)
            .options(selectinload(Stand.closures))
            .order_by(Stand.code)
        )
        .scalars()
        .all()
    )
    assigned = {}
    if slot is not None:
        assigned = {
            a.stand_id: a
            for a in db.session.execute(
                select(StandAssignment)
                .where(StandAssignment.slot_id == slot.id, StandAssignment.released_at.is_(None))
                .options(
                    selectinload(StandAssignment.nomination).selectinload(Nomination.entrepreneur),
                    selectinload(StandAssignment.nomination).selectinload(Nomination.commune),
                )
            ).scalars()
        }
    viewer = actor()
    # An officer sees the names of their own commune's people only: another commune's
    # entrepreneurs (who may not have agreed to be shown) are "Asignado" and their commune.
    own_only = policy.commune_scope(viewer) is not None
    marks = {
        stand_id: stand_ops.MapMark(
            commune=a.nomination.commune,
            label=(
                a.nomination.entrepreneur.business_name
                if not own_only or a.nomination.commune_id == viewer.commune_id
                else _("Asignado")
            ),
        )
        for stand_id, a in assigned.items()
    }
    return render_template(
        "stands/index.html",
        assigned=assigned,
        marks=marks,
        venue=venue,
        stands=stands,
        closed=stand_ops.closed_on(venue.id, start, end),
        slot=slot,
        week=(start, end),
        width=stand_ops.MAP_WIDTH,
        height=stand_ops.MAP_HEIGHT,
        can_edit=policy.runs_the_mall(actor()),
        today=clock.today(),
    )


def _save(form: StandForm, stand: Stand | None):
    def save() -> Stand:
        return stand_ops.save_stand(
            _venue(),
            by=actor(),
            code=form.code.data,
            location=form.location.data or "",
            area_m2=form.area_m2.data,
            has_power=form.has_power.data,
            food_allowed=form.food_allowed.data,
            active=form.active.data,
            stand=stand,
        )

    def refused(exc: DomainError):
        getattr(form, exc.field or "code").errors.append(exc.message)
        return None, exc.status

    return actions.run(save, done=lambda saved: (saved, 200), refused=refused)


@bp.route("/new", methods=["GET", "POST"])
@roles(*COORDINATORS)
def new():
    form = StandForm()
    status = 200
    if form.validate_on_submit():
        stand, status = _save(form, None)
        if stand:
            flash(_("Stand %(c)s creado.", c=stand.code), "success")
            return redirect(url_for("stands.index"))
    elif request.method == "POST":
        status = 400
    return render_template("stands/form.html", form=form, stand=None), status


def _closures_context(stand: Stand) -> dict:
    today = clock.today()
    return {
        "stand": stand,
        "closures": sorted(
            (c for c in stand.closures if c.ends_on >= today), key=lambda c: c.starts_on
        ),
        "today": today,
    }


@bp.route("/<int:stand_id>", methods=["GET", "POST"])
@roles(*COORDINATORS)
def edit(stand_id: int):
    stand = _stand_or_404(stand_id)
    form = StandForm(obj=stand)
    status = 200
    if form.validate_on_submit():
        saved, status = _save(form, stand)
        if saved:
            flash(_("Stand %(c)s guardado.", c=saved.code), "success")
            return redirect(url_for("stands.index"))
    elif request.method == "POST":
        status = 400
    return render_template("stands/form.html", form=form, **_closures_context(stand)), status


def _closures_response(stand: Stand, status: int = 200, **extra):
    """The stand's closures: the fragment for htmx, else the stand's whole page around it."""
    context = {**_closures_context(stand), **extra}
    if is_htmx():
        return render_template("stands/_closures.html", **context), status
    # formdata=None: the posted fields are the closure's, not the stand's.
    form = StandForm(formdata=None, obj=stand)
    return render_template("stands/form.html", form=form, **context), status


@bp.route("/<int:stand_id>/closures", methods=["POST"])
@roles(*COORDINATORS)
def close(stand_id: int):
    """Closes the stand for a period. When people are assigned to it then, the first answer
    lists them with the stand each would move to, and closing needs a second, confirmed post."""
    stand = _stand_or_404(stand_id)
    entered = {key: request.form.get(key, "") for key in ("starts_on", "ends_on", "reason")}

    def close_it():
        try:
            starts_on = date.fromisoformat(entered["starts_on"])
            ends_on = date.fromisoformat(entered["ends_on"])
        except ValueError as exc:
            raise Invalid(_("Indique fechas válidas de inicio y término.")) from exc
        confirmed = request.form.getlist("confirm") if request.form.get("confirming") else None
        result = stand_ops.close_stand(
            stand,
            starts_on=starts_on,
            ends_on=ends_on,
            reason=entered["reason"],
            by=actor(),
            confirmed=confirmed,
        )
        return result, _closure_messages(stand, result)

    def refused(exc: DomainError):
        if isinstance(exc, stand_ops.ClosureNeedsConfirmation):
            return _closures_response(
                _stand_or_404(stand_id),
                exc.status,
                confirm=exc.message,
                displaced=exc.displaced,
                entered=entered,
            )
        return _closures_response(
            _stand_or_404(stand_id), exc.status, error=exc.message, entered=entered
        )

    def done(outcome):
        result, messages = outcome
        if is_htmx():
            return _closures_response(
                stand, message=messages[0], moved=messages[1:], left=result.left
            )
        for text in messages:
            flash(text, "success")
        if result.left:
            flash(_left_message(result.left), "warning")
        return redirect(url_for("stands.edit", stand_id=stand.id))

    return actions.run(close_it, done=done, refused=refused)


def _closure_messages(stand: Stand, result: stand_ops.ClosureResult) -> list[str]:
    closure = result.closure
    messages = [
        _(
            "Stand %(c)s cerrado del %(a)s al %(b)s.",
            c=stand.code,
            a=closure.starts_on.strftime("%d-%m-%Y"),
            b=closure.ends_on.strftime("%d-%m-%Y"),
        )
    ]
    for item, assignment in result.moved:
        messages.append(
            _(
                "%(name)s pasó al stand %(code)s (semana del %(week)s).",
                name=item.assignment.nomination.entrepreneur.business_name,
                code=assignment.stand.code,
                week=fmt_week(item.assignment.slot.starts_on, item.assignment.slot.ends_on),
            )
        )
    return messages


def _left_message(left: list[stand_ops.Displaced]) -> str:
    return _(
        "Siguen en el stand cerrado, sin otro libre que les sirva: %(names)s. "
        "Asígneles uno desde la revisión de su semana.",
        names=", ".join(d.assignment.nomination.entrepreneur.business_name for d in left),
    )


@bp.route("/closures/<int:closure_id>/delete", methods=["POST"])
@roles(*COORDINATORS)
def reopen(closure_id: int):
    closure = db.session.get(StandClosure, closure_id)
    if closure is None:
        abort(404)
    stand_id = closure.stand_id
    stand_ops.reopen_stand(closure, by=actor())
    db.session.commit()
    flash(_("Cierre eliminado."), "success")
    return redirect(url_for("stands.edit", stand_id=stand_id))


@bp.route("/<int:stand_id>/position", methods=["POST"])
@roles(*COORDINATORS)
def position(stand_id: int):
    """Called by the map's drag-and-drop script (and usable by any form)."""
    stand = _stand_or_404(stand_id)
    x = request.form.get("x", type=int)
    y = request.form.get("y", type=int)
    if x is None or y is None:
        raise Invalid(_("Indique la posición (x, y)."))
    stand_ops.place_stand(stand, x, y, by=actor())
    db.session.commit()
    return jsonify(id=stand.id, x=stand.map_x, y=stand.map_y)
