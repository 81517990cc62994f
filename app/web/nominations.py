"""A commune's nomination lists: pick candidates, order main and reserve, submit, withdraw."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app import clock
from app.domain import nomination_states, nominations, policy
from app.domain.errors import DomainError, Invalid
from app.models import Nomination, NominationState, Role
from app.web import actions
from app.web.access import actor, roles, staff
from app.web.htmx import is_htmx
from app.web.params import MAX_ID, arg_id

bp = Blueprint("nominations", __name__, url_prefix="/nominations")
COMMUNE_SIDE = (Role.OFFICER, Role.ADMIN)


class NominateForm(FlaskForm):
    entrepreneur_id = IntegerField(validators=[DataRequired(), NumberRange(1, MAX_ID)])
    reserve = HiddenField(default="0")


class MoveForm(FlaskForm):
    direction = HiddenField(validators=[DataRequired()])
    place = IntegerField(validators=[Optional(), NumberRange(min=1, max=1000)])


class ReserveForm(FlaskForm):
    to = HiddenField(validators=[DataRequired()])


class WithdrawForm(FlaskForm):
    reason = StringField(_l("Motivo (opcional)"), validators=[Optional(), Length(max=500)])


@bp.route("/")
@staff
def index():
    user = actor()
    return render_template(
        "nominations/index.html",
        lists=nominations.open_lists(user, today=clock.today()),
        now=clock.now_utc(),
    )


def _context(
    slot, commune, stands, *, error: str | None = None, notice: str = "", acted: int | None = None
) -> dict:
    user = actor()
    listing = nominations.commune_list(slot, commune.id)
    return {
        "slot": slot,
        "commune": commune,
        "stands": stands,
        "listing": listing,
        "used": sum(1 for n in listing.main if n.state in NominationState.QUOTA),
        "window_problem": nomination_states.window_problem(slot),
        "can_act": policy.can_act_for_commune(user, commune.id),
        "can": lambda n, name: nomination_states.can(n, name, user),
        "error": error,
        "notice": notice,
        # The nomination just acted on: its notice shows in its row, where the finger is.
        "acted": acted,
    }


def _panel(
    slot,
    commune,
    stands,
    *,
    error: str | None = None,
    notice: str = "",
    acted: int | None = None,
    status: int = 200,
):
    """The list after an action: the fragment for htmx, else the whole page (or a redirect)."""
    context = _context(slot, commune, stands, error=error, notice=notice, acted=acted)
    if is_htmx():
        response = render_template("nominations/_panel.html", **context)
        if status < 400:
            headers = {"HX-Trigger": "nominations-changed"}
        elif context["window_problem"]:
            # The week stopped taking nominations while this page was open: its header, the
            # candidates' buttons, everything on it is stale. The reloaded page says why.
            headers = {"HX-Refresh": "true"}
        else:
            # The refusal is at the top of the lists, maybe a long way above the button that was
            # pressed (a candidate far down the registry): bring it into view.
            headers = {"HX-Reswap": "innerHTML show:top"}
        return response, status, headers
    if status < 400:
        if notice:
            flash(notice, "success")
        return redirect(
            url_for("nominations.show", slot_id=slot.id, commune_id=commune.id), code=303
        )
    return render_template("nominations/show.html", q="", **context), status


@bp.route("/<int:slot_id>/<int:commune_id>")
@staff
def show(slot_id: int, commune_id: int):
    slot, commune, stands = nominations.get_commune_slot(slot_id, commune_id, user=actor())
    q = request.args.get("q", "")[:100]
    return render_template(
        "nominations/show.html",
        q=q,
        **_candidate_context(slot, commune, q),
        **_context(slot, commune, stands),
    )


def _candidate_context(slot, commune, q: str) -> dict:
    """The first candidates (more with ?shown=), how many match, and the search typed."""
    shown = min(max(arg_id("shown") or 0, nominations.CANDIDATES_SHOWN), 2000)
    found, total = nominations.candidate_page(slot, commune, q=q, limit=shown)
    return {"candidates": found, "candidate_total": total, "shown": shown}


@bp.route("/<int:slot_id>/<int:commune_id>/candidates")
@staff
def candidates(slot_id: int, commune_id: int):
    user = actor()
    slot, commune, _stands = nominations.get_commune_slot(slot_id, commune_id, user=user)
    q = request.args.get("q", "")[:100]
    return render_template(
        "nominations/_candidates.html",
        slot=slot,
        commune=commune,
        **_candidate_context(slot, commune, q),
        can_act=policy.can_act_for_commune(user, commune.id),
        window_problem=nomination_states.window_problem(slot),
        q=q,
    )


def _done(slot, commune, stands, result: str | tuple[str, int] | None):
    """The list after a change: the action's notice, in the row it acted on when it names one
    (a withdrawn nomination leaves the list: its notice goes on top)."""
    notice, acted = result if isinstance(result, tuple) else (result or "", None)
    return _panel(slot, commune, stands, notice=notice, acted=acted)


def _on_list(slot_id: int, commune_id: int, action) -> object:
    """Runs ``action(slot, commune, user)`` on a commune's list and answers with the list: the
    notice the action returns, or why it was refused (in place, with the error's status)."""
    user = actor()
    slot, commune, stands = nominations.get_commune_slot(slot_id, commune_id, user=user)

    def refused(exc: DomainError):
        slot, commune, stands = nominations.get_commune_slot(slot_id, commune_id, user=user)
        return _panel(slot, commune, stands, error=exc.message, status=exc.status)

    return actions.run(
        lambda: action(slot, commune, user),
        done=lambda result: _done(slot, commune, stands, result),
        refused=refused,
    )


@bp.route("/<int:slot_id>/<int:commune_id>/nominate", methods=["POST"])
@roles(*COMMUNE_SIDE)
def nominate(slot_id: int, commune_id: int):
    def action(slot, commune, user) -> str:
        form = NominateForm()
        if not form.validate_on_submit():
            raise Invalid(_("Elija a quién nominar."))
        nomination = nominations.nominate_from_registry(
            slot, commune, form.entrepreneur_id.data, by=user, reserve=form.reserve.data == "1"
        )
        name = nomination.entrepreneur.business_name
        if nomination.is_reserve:
            return _("Se agregó a «%(name)s» a la reserva.", name=name), nomination.id
        return _("Se agregó a «%(name)s» a la lista titular.", name=name), nomination.id

    return _on_list(slot_id, commune_id, action)


@bp.route("/<int:slot_id>/<int:commune_id>/submit", methods=["POST"])
@roles(*COMMUNE_SIDE)
def submit(slot_id: int, commune_id: int):
    def action(slot, commune, user) -> str:
        if not FlaskForm().validate_on_submit():
            raise Invalid(_("El formulario expiró. Recargue la página."))
        sent = nominations.submit_list(slot, commune, by=user)
        return _("Se enviaron %(n)d nominaciones a la coordinación del mall.", n=len(sent))

    return _on_list(slot_id, commune_id, action)


def _nomination_action(nomination_id: int, action):
    """Runs ``action(nomination, user)`` on one nomination and answers with the whole list.

    The action returns the notice to show, if any.
    """
    nomination = nominations.get_nomination(nomination_id, user=actor())
    return _on_list(
        nomination.slot_id,
        nomination.commune_id,
        lambda _slot, _commune, user: action(nomination, user),
    )


def _checked(form: FlaskForm) -> FlaskForm:
    if not form.validate_on_submit():
        raise Invalid(_("La solicitud no es válida. Recargue la página e intente de nuevo."))
    return form


@bp.route("/n/<int:nomination_id>/move", methods=["POST"])
@roles(*COMMUNE_SIDE)
def move(nomination_id: int):
    def action(nomination: Nomination, user):
        form = _checked(MoveForm())
        if form.direction.data == "to" and form.place.data:
            nominations.move_to(nomination, form.place.data, by=user)
        else:
            nominations.move(nomination, form.direction.data, by=user)
        return _(
            "Se movió a «%(name)s».", name=nomination.entrepreneur.business_name
        ), nomination.id

    return _nomination_action(nomination_id, action)


@bp.route("/n/<int:nomination_id>/reserve", methods=["POST"])
@roles(*COMMUNE_SIDE)
def reserve(nomination_id: int):
    def action(nomination: Nomination, user):
        form = _checked(ReserveForm())
        if form.to.data not in ("main", "reserve"):
            raise Invalid(_("Lista no válida."))
        nominations.set_reserve(nomination, form.to.data == "reserve", by=user)
        name = nomination.entrepreneur.business_name
        if nomination.is_reserve:
            return _("«%(name)s» pasó a la reserva.", name=name), nomination.id
        return _("«%(name)s» pasó a titulares.", name=name), nomination.id

    return _nomination_action(nomination_id, action)


@bp.route("/n/<int:nomination_id>/withdraw", methods=["POST"])
@roles(*COMMUNE_SIDE)
def withdraw(nomination_id: int):
    def action(nomination: Nomination, user):
        form = _checked(WithdrawForm())
        nominations.withdraw(nomination, by=user, reason=form.reason.data or "")
        return _("Se retiró a «%(name)s».", name=nomination.entrepreneur.business_name)

    return _nomination_action(nomination_id, action)
