"""The coordinators' review queue and the nomination actions (POST /nominations/<id>/<action>)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.domain import nomination_states, policy, review, review_queue
from app.domain.errors import DomainError, Invalid
from app.extensions import db
from app.models import (
    Nomination,
    NominationState,
    Role,
    Slot,
    SlotAllocation,
    Stand,
)
from app.web import actions, page_cache, params
from app.web.access import actor, roles
from app.web.htmx import is_htmx

bp = Blueprint("review", __name__)
S = NominationState
MALL_ACTIONS = (
    "approve",
    "reject",
    "waitlist",
    "confirm",
    "cancel",
    "mark_attended",
    "mark_no_show",
)


def _slot_or_404(slot_id: int) -> Slot:
    slot = db.session.execute(
        select(Slot)
        .where(Slot.id == slot_id)
        .options(
            selectinload(Slot.allocations).selectinload(SlotAllocation.commune),
            selectinload(Slot.program),
        )
    ).scalar_one_or_none()
    if slot is None:
        abort(404)
    return slot


def queue_context(slot: Slot) -> dict:
    """Everything the review page shows (app/domain/review_queue.py), and what this user may
    do on it."""
    user = actor()
    queue = review_queue.load(slot)
    return {
        **{name: getattr(queue, name) for name in queue.__dataclass_fields__},
        "actions_for": lambda n: [
            t
            for t in nomination_states.transitions_from(n.state)
            if t.name in MALL_ACTIONS and nomination_states.can(n, t.name, user)
        ],
        "can_act": policy.runs_the_mall(user),
    }


@bp.route("/review/slots/<int:slot_id>")
@roles(Role.ADMIN, Role.COORDINATOR, Role.VIEWER)
def queue(slot_id: int):
    def render() -> str:
        return render_template("review/queue.html", **queue_context(_slot_or_404(slot_id)))

    return page_cache.cached(("review.queue", slot_id), render)


def _row_response(
    nomination: Nomination,
    *,
    error: str | None = None,
    status: int = 200,
    message: str | None = None,
    promoted: list[Nomination] | None = None,
):
    slot = _slot_or_404(nomination.slot_id)
    context = queue_context(slot)
    rows = [nomination, *(promoted or [])]
    return render_template(
        "review/_action_result.html", rows=rows, error=error, message=message, **context
    ), status


@bp.route("/nominations/<int:nomination_id>/<action>", methods=["POST"])
@roles(*policy.MALL)
def act(nomination_id: int, action: str):
    """The mall's decisions. A commune withdraws through its own list (nominations.withdraw),
    the one withdraw route."""
    if action not in MALL_ACTIONS:
        abort(404)
    user = actor()
    nomination = db.session.get(Nomination, nomination_id) or abort(404)

    def decide() -> list[Nomination]:
        if action == "approve":
            stand = None
            if stand_id := params.form_id("stand_id"):
                stand = db.session.get(Stand, stand_id) or abort(404)
            review.approve(nomination, by=user, stand=stand)
            return []
        return review.decide(nomination, action, by=user, reason=request.form.get("reason", ""))

    def done(promoted: list[Nomination]):
        message = _(
            "%(name)s: %(state)s.",
            name=nomination.entrepreneur.business_name,
            state=nomination_states.state_label(nomination.state).lower(),
        )
        if promoted:
            message += " " + _(
                "Pasa de la lista de espera: %(names)s.",
                names=", ".join(p.entrepreneur.business_name for p in promoted),
            )
        return _answer(nomination, message, promoted)

    return actions.run(decide, done=done, refused=_refused_on_row(nomination_id))


def _refused_on_row(nomination_id: int):
    """The row with why the decision was refused, for htmx; else the error page."""

    def refused(exc: DomainError):
        if not is_htmx():
            raise exc
        nomination = db.session.get(Nomination, nomination_id)
        return _row_response(nomination, error=exc.message, status=exc.status)

    return refused


def _answer(nomination: Nomination, message: str, promoted: list[Nomination] | None = None):
    if is_htmx():
        return _row_response(nomination, message=message, promoted=promoted)
    flash(message, "success")
    return redirect(url_for("review.queue", slot_id=nomination.slot_id))


@bp.route("/nominations/<int:nomination_id>/stand", methods=["GET"])
@roles(*policy.MALL)
def stand_form(nomination_id: int):
    """The free stands that suit this nomination, as a small form swapped into its row."""
    nomination = db.session.get(Nomination, nomination_id) or abort(404)
    slot = _slot_or_404(nomination.slot_id)
    taken = {a.stand_id for a in review.live_assignments(slot.id)}
    stands = [
        s
        for s in review.open_stands(slot)
        if s.id not in taken and review.fits(s, nomination.entrepreneur) is None
    ]
    return render_template("review/_stand_form.html", nomination=nomination, stands=stands)


@bp.route("/nominations/<int:nomination_id>/stand", methods=["POST"])
@roles(*policy.MALL)
def change_stand(nomination_id: int):
    nomination = db.session.get(Nomination, nomination_id) or abort(404)
    stand = db.session.get(Stand, params.form_id("stand_id") or 0)

    def reassign() -> None:
        if stand is None:
            raise Invalid(_("Elija un stand."))
        review.reassign(nomination, stand, by=actor())

    return actions.run(
        reassign,
        done=lambda _result: _answer(nomination, _("Stand %(c)s asignado.", c=stand.code)),
        refused=_refused_on_row(nomination_id),
    )


@bp.route("/review/slots/<int:slot_id>/bulk-approve", methods=["POST"])
@roles(*policy.MALL)
def bulk_approve(slot_id: int):
    """Approves the ticked nominations one by one: each in its own savepoint, so one full
    week or changed state does not undo the others; reports what did not go through."""
    slot = _slot_or_404(slot_id)
    ids = params.form_ids("ids")
    if not ids:
        flash(
            _(
                "No marcó ninguna nominación: marque las que quiere aprobar (o «Elegir todas "
                "las pendientes») y luego pulse «Aprobar las marcadas»."
            ),
            "error",
        )
        return redirect(url_for("review.queue", slot_id=slot.id))
    approved, refused = [], []
    for nomination in (
        db.session.execute(
            select(Nomination)
            .where(Nomination.slot_id == slot.id, Nomination.id.in_(ids))
            .order_by(Nomination.commune_id, Nomination.is_reserve, Nomination.position)
        )
        .scalars()
        .all()
    ):
        try:
            with db.session.begin_nested():
                review.approve(nomination, by=actor())
            approved.append(nomination.entrepreneur.business_name)
        except DomainError as exc:
            refused.append(f"{nomination.entrepreneur.business_name}: {exc.message}")
    db.session.commit()
    if approved:
        flash(_("Aprobados: %(n)d.", n=len(approved)), "success")
    for line in refused:
        flash(line, "error")
    return redirect(url_for("review.queue", slot_id=slot.id))
