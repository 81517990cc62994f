"""Rotation pages: the year at a glance, a week's page, planning, overrides and swaps."""

from __future__ import annotations

import calendar
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange

from app import clock
from app.domain import (
    closures,
    fairness,
    nominations,
    policy,
    programs,
    rotation,
    rotation_settings,
    slot_states,
    swaps,
)
from app.domain.errors import DomainError, Invalid
from app.extensions import db
from app.models import (
    AllocationMode,
    Blackout,
    Commune,
    CommuneUnavailability,
    NominationState,
    Program,
    Role,
    Slot,
    SlotAllocation,
    SlotState,
    SlotSwap,
    SwapState,
    Venue,
    WeekRule,
)
from app.web import actions, params
from app.web.access import actor, roles, staff
from app.web.htmx import is_htmx

bp = Blueprint("rotation", __name__, url_prefix="/rotation")
COORDINATORS = policy.MALL  # who runs the mall, as the domain asks it


def _program_or_404(program_id: int) -> Program:
    program = db.session.get(Program, program_id)
    if program is None:
        abort(404)
    return program


def _slot_or_404(slot_id: int) -> Slot:
    slot = db.session.execute(
        select(Slot)
        .where(Slot.id == slot_id)
        .options(
            selectinload(Slot.allocations).selectinload(SlotAllocation.commune),
            selectinload(Slot.program).selectinload(Program.venue),
        )
    ).scalar_one_or_none()
    if slot is None:
        abort(404)
    return slot


def _communes() -> list[Commune]:
    return list(db.session.execute(select(Commune).order_by(Commune.name)).scalars())


@bp.route("/")
@staff
def index():
    """The program running today (else the latest one), at the current year."""
    today = clock.today()
    programs = db.session.execute(select(Program).order_by(Program.starts_on)).scalars().all()
    if not programs:
        return render_template("rotation/empty.html")
    current = next((p for p in programs if p.starts_on <= today <= p.ends_on), programs[-1])
    year = min(max(today.year, current.starts_on.year), current.ends_on.year)
    return redirect(url_for("rotation.year", program_id=current.id, year=year))


def _year_grid(program: Program, year: int, slots: list[Slot]) -> list[dict]:
    """Twelve month cards, each a small Monday-first calendar with the slot's days marked."""
    today = clock.today()
    by_month = {s.month: s for s in slots}
    holidays = closures.national_holidays(date(year, 1, 1), date(year, 12, 31))
    venue_closed = closures.venue_closures(program.venue_id, date(year, 1, 1), date(year, 12, 31))
    months = []
    for month in range(1, 13):
        slot = by_month.get(month)
        host = None
        if slot is not None:
            hosts = [a.commune for a in slot.allocations if a.stands > 0]
            host = hosts[0] if len(hosts) == 1 else None
        weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
        months.append(
            {
                "month": month,
                "slot": slot,
                "host": host,
                "weeks": weeks,
                "holidays": {d: n for d, n in holidays.items() if d.month == month},
                "closed": {d: n for d, n in venue_closed.items() if d.month == month},
                "slot_holidays": (
                    {d: n for d, n in holidays.items() if slot.starts_on <= d <= slot.ends_on}
                    if slot
                    else {}
                ),
                "is_current": bool(slot and slot.starts_on <= today <= slot.ends_on),
            }
        )
    return months


def _neighbours(program: Program) -> tuple[Program | None, Program | None]:
    """The venue's programs just before and just after this one, for the year page's links."""
    others = db.session.execute(
        select(Program)
        .where(Program.venue_id == program.venue_id, Program.id != program.id)
        .order_by(Program.starts_on)
    ).scalars()
    before = after = None
    for other in others:
        if other.ends_on < program.starts_on:
            before = other
        elif other.starts_on > program.ends_on and after is None:
            after = other
    return before, after


def _extend_to(program: Program, year: int) -> int | None:
    """The year a coordinator may extend the program to from this year's page, if any."""
    if not policy.runs_the_mall(actor()) or year != program.ends_on.year:
        return None
    return year + 1 if programs.extension_problem(program, year + 1) is None else None


def _year_context(program: Program, year: int) -> dict:
    slots = list(
        db.session.execute(
            select(Slot)
            .where(Slot.program_id == program.id, Slot.year == year)
            .options(selectinload(Slot.allocations).selectinload(SlotAllocation.commune))
            .order_by(Slot.starts_on)
        ).scalars()
    )
    communes = _communes()
    preview = rotation.plan_year(program, year, by=None, apply=False)  # reads only
    open_swaps = swaps.open_swaps_for(actor())
    previous_program, next_program = _neighbours(program)
    return {
        "program": program,
        "year": year,
        "months": _year_grid(program, year, slots),
        "communes": communes,
        "fairness": fairness.report(preview, sorted(communes, key=lambda c: c.id)),
        "carry_note": fairness.carry_note(preview),
        "preview": preview,
        "swaps": open_swaps,
        "today": clock.today(),
        "years": range(program.starts_on.year, program.ends_on.year + 1),
        "previous_program": previous_program,
        "next_program": next_program,
        "extend_to": _extend_to(program, year),
    }


@bp.route("/programs/<int:program_id>/years/<int:year>")
@staff
def year(program_id: int, year: int):
    program = _program_or_404(program_id)
    if not program.starts_on.year <= year <= program.ends_on.year:
        abort(404)
    return render_template("rotation/year.html", **_year_context(program, year))


@bp.route("/programs/<int:program_id>/extend", methods=["POST"])
@roles(*COORDINATORS)
def extend(program_id: int):
    """Extends the program by the year asked; lands on that year's page."""
    program = _program_or_404(program_id)

    def extend_it():
        until_year = request.form.get("year", type=int)
        if until_year is None:
            raise Invalid(_("Indique hasta qué año se extiende el programa."), field="year")
        return programs.extend_program(program, until_year=until_year, by=actor())

    def refused(exc: DomainError):
        program = _program_or_404(program_id)
        year = program.ends_on.year  # the page the button is on
        if is_htmx():
            fragment = render_template(
                "rotation/_extend.html",
                program=program,
                extend_to=_extend_to(program, year),
                extend_error=exc.message,
            )
            return fragment, exc.status
        context = _year_context(program, year)
        return render_template("rotation/year.html", extend_error=exc.message, **context), (
            exc.status
        )

    def done(change):
        flash(
            ngettext(
                "Programa extendido hasta %(year)s: %(num)d semana nueva, ya planificada.",
                "Programa extendido hasta %(year)s: %(num)d semanas nuevas, ya planificadas.",
                len(change.created),
                year=program.ends_on.year,
            ),
            "success",
        )
        target = url_for("rotation.year", program_id=program.id, year=change.years[0])
        if is_htmx():
            return "", 200, {"HX-Redirect": target}
        return redirect(target, code=303)

    return actions.run(extend_it, done=done, refused=refused)


@bp.route("/programs/<int:program_id>/years/<int:year>/plan", methods=["GET", "POST"])
@roles(*COORDINATORS)
def plan(program_id: int, year: int):
    program = _program_or_404(program_id)
    if not program.starts_on.year <= year <= program.ends_on.year:
        abort(404)
    apply = request.method == "POST"
    preview = rotation.plan_year(program, year, by=actor(), apply=apply)
    if apply:
        db.session.commit()
        flash(_("Plan aplicado: %(n)d semanas cambiaron.", n=len(preview.changes)), "success")
        return redirect(url_for("rotation.year", program_id=program.id, year=year))
    communes = {c.id: c for c in _communes()}
    # Rendered before the rollback, which would expire the slots and swaps the page shows.
    page = render_template(
        "rotation/plan.html", program=program, year=year, preview=preview, communes=communes
    )
    db.session.rollback()
    return page


class ProgramForm(FlaskForm):
    name = StringField(
        _l("Nombre"), validators=[InputRequired(), Length(max=120)], render_kw={"maxlength": 120}
    )
    first_year = IntegerField(
        _l("Desde el año"), validators=[InputRequired(), NumberRange(2000, 2100)]
    )
    last_year = IntegerField(
        _l("Hasta el año"), validators=[InputRequired(), NumberRange(2000, 2100)]
    )
    copy_from = SelectField(_l("Copiar las reglas de"), coerce=int)
    mode = SelectField(
        _l("Reparto"),
        default="",
        choices=[
            SelectChoice("", _l("El del programa copiado")),
            SelectChoice("host", _l("Comuna anfitriona: cada semana es de una comuna, por turnos")),
            SelectChoice(
                "shared", _l("Compartido: los stands de cada semana se reparten por cupos")
            ),
        ],
    )
    venue = SelectField(_l("Mall"), coerce=int)


def _program_form(all_programs: list[Program], venues: list[Venue]) -> ProgramForm:
    form = ProgramForm()
    form.copy_from.choices = [
        SelectChoice(p.id, f"{p.name} ({programs.years_text(p)})") for p in all_programs
    ] or [SelectChoice(0, _("Ninguno: reglas predeterminadas"))]
    if len(venues) > 1:
        form.venue.choices = [SelectChoice(v.id, v.name) for v in venues]
    else:
        del form.venue  # the only mall: nothing to choose
    if request.method == "GET":
        latest = max(all_programs, key=lambda p: p.ends_on, default=None)
        first = max(latest.ends_on.year + 1, clock.today().year) if latest else clock.today().year
        form.first_year.data = form.last_year.data = first
        form.copy_from.data = latest.id if latest else 0
        if "venue" in form:
            form.venue.data = latest.venue_id if latest else venues[0].id
    return form


@bp.route("/programs/new", methods=["GET", "POST"])
@roles(*COORDINATORS)
def new_program():
    """A new program: its name and years; its rule copied from another program."""
    all_programs = list(
        db.session.execute(
            select(Program).options(selectinload(Program.venue)).order_by(Program.starts_on)
        ).scalars()
    )
    venues = list(db.session.execute(select(Venue).order_by(Venue.name)).scalars())
    form = _program_form(all_programs, venues)

    def page(status: int = 200, error: str | None = None):
        return render_template("rotation/new_program.html", form=form, error=error), status

    if request.method == "GET":
        return page()
    if not form.validate_on_submit():
        return page(400)
    source = db.session.get(Program, form.copy_from.data) if form.copy_from.data else None
    venue = db.session.get(Venue, form.venue.data) if "venue" in form else next(iter(venues), None)

    def start():
        if venue is None:
            raise Invalid(_("Primero registre el mall."))
        return programs.start_program(
            venue,
            name=form.name.data,
            starts_on=date(form.first_year.data, 1, 1),
            ends_on=date(form.last_year.data, 12, 31),
            copy_from=source,
            by=actor(),
            mode=AllocationMode(form.mode.data) if form.mode.data else None,
        )

    def refused(exc: DomainError):
        fields = {
            "name": form.name,
            "starts_on": form.first_year,
            "ends_on": form.last_year,
            "mode": form.mode,
        }
        if exc.field in fields:
            fields[exc.field].errors.append(exc.message)
            return page(exc.status)
        return page(exc.status, exc.message)

    def done(change):
        program = change.program
        flash(
            ngettext(
                "Programa «%(name)s» creado: %(num)d semana, ya planificada.",
                "Programa «%(name)s» creado: %(num)d semanas, ya planificadas.",
                len(change.created),
                name=program.name,
            ),
            "success",
        )
        return redirect(
            url_for("rotation.year", program_id=program.id, year=program.starts_on.year), code=303
        )

    return actions.run(start, done=done, refused=refused)


def _slot_page_context(slot: Slot) -> dict:
    user = actor()
    program = slot.program
    pending = list(
        db.session.execute(
            select(SlotSwap)
            .where(
                SlotSwap.state.in_(SwapState.OPEN),
                (SlotSwap.slot_a_id == slot.id) | (SlotSwap.slot_b_id == slot.id),
            )
            .options(
                selectinload(SlotSwap.slot_a),
                selectinload(SlotSwap.slot_b),
                selectinload(SlotSwap.from_commune),
                selectinload(SlotSwap.to_commune),
            )
        ).scalars()
    )
    swap_targets = []
    if (
        user.role is Role.OFFICER
        and rotation.host_of(slot) == user.commune_id
        and slot.state in SlotState.SWAPPABLE
    ):
        swap_targets = [
            s
            for s in db.session.execute(
                select(Slot)
                .where(
                    Slot.program_id == program.id,
                    Slot.id != slot.id,
                    Slot.state.in_(SlotState.SWAPPABLE),
                )
                .options(selectinload(Slot.allocations).selectinload(SlotAllocation.commune))
                .order_by(Slot.starts_on)
            ).scalars()
            if rotation.host_of(s) not in (None, user.commune_id)
        ]
    return {
        "slot": slot,
        "program": program,
        "transitions": slot_states.available_transitions(slot, user),
        # Publishing leaves these out of the calendars: the button asks first.
        "to_review": nominations.count_by_slot([slot.id], (NominationState.SUBMITTED,)).get(
            slot.id, 0
        ),
        "holidays": closures.national_holidays(slot.starts_on, slot.ends_on),
        "closed": closures.venue_closures(program.venue_id, slot.starts_on, slot.ends_on),
        "communes": _communes(),
        "host_id": rotation.host_of(slot),
        "can_override": policy.runs_the_mall(user)
        and slot.state in (slot.state.PLANNED, slot.state.NOMINATIONS_OPEN),
        "is_host_mode": program.mode is AllocationMode.HOST,
        "swaps": pending,
        "swap_targets": swap_targets,
        "can_accept": lambda s: swaps.can_accept(s, user),
        "can_approve": lambda s: swaps.can_approve(s, user),
        "can_reject": lambda s: swaps.can_reject(s, user),
    }


@bp.route("/slots/<int:slot_id>")
@staff
def slot(slot_id: int):
    return render_template("rotation/slot.html", **_slot_page_context(_slot_or_404(slot_id)))


def _slot_response(slot: Slot, message: str | None = None, status: int = 200):
    """After a change: the week's panel for htmx, or the full page after a plain POST."""
    if is_htmx():
        context = _slot_page_context(slot)
        return render_template("rotation/_slot_panel.html", message=message, **context), status
    if message:
        flash(message, "success" if status < 400 else "error")
    return redirect(url_for("rotation.slot", slot_id=slot.id))


def _refused_on_week(slot_id: int):
    """The week's panel with why a change was refused, for htmx; else the error page."""

    def refused(exc: DomainError):
        if not is_htmx():
            raise exc
        context = _slot_page_context(_slot_or_404(slot_id))
        return (
            render_template("rotation/_slot_panel.html", error=exc.message, **context),
            exc.status,
        )

    return refused


def _act(slot: Slot, action, message):
    """Runs one change to the week: the panel with the message, or with the refusal (4xx)."""
    return actions.run(
        action,
        done=lambda _result: _slot_response(slot, message() if callable(message) else message),
        refused=_refused_on_week(slot.id),
    )


@bp.route("/slots/<int:slot_id>/transitions/<name>", methods=["POST"])
@roles(*COORDINATORS)
def transition(slot_id: int, name: str):
    slot = _slot_or_404(slot_id)
    reason = request.form.get("reason", "")
    return _act(
        slot,
        lambda: slot_states.transition_slot(slot, name, by=actor(), reason=reason),
        _("Estado actualizado."),
    )


@bp.route("/slots/<int:slot_id>/host", methods=["POST"])
@roles(*COORDINATORS)
def override_host(slot_id: int):
    slot = _slot_or_404(slot_id)
    commune = db.session.get(Commune, params.form_id("commune_id") or 0)

    def change() -> None:
        if commune is None:
            raise Invalid(_("Elija una comuna."))
        rotation.override_host(slot, commune, by=actor(), reason=request.form.get("reason", ""))

    return _act(slot, change, lambda: _("La semana ahora es de %(c)s.", c=commune.name))


@bp.route("/slots/<int:slot_id>/quotas", methods=["POST"])
@roles(*COORDINATORS)
def override_quotas(slot_id: int):
    slot = _slot_or_404(slot_id)

    def change() -> None:
        quotas = {}
        for commune in _communes():
            raw = request.form.get(f"quota-{commune.id}", "0").strip() or "0"
            if not (raw.isascii() and raw.isdigit() and len(raw) < 6):
                raise Invalid(_("El cupo de %(c)s debe ser un número entero.", c=commune.name))
            quotas[commune.id] = int(raw)
        rotation.override_quotas(slot, quotas, by=actor(), reason=request.form.get("reason", ""))

    return _act(slot, change, _("Cupos actualizados."))


@bp.route("/slots/<int:slot_id>/swaps", methods=["POST"])
@roles(Role.OFFICER)
def request_swap(slot_id: int):
    slot = _slot_or_404(slot_id)
    other = db.session.get(Slot, params.form_id("other_slot_id") or 0)

    def change() -> None:
        if other is None:
            raise Invalid(_("Elija la semana que quiere a cambio."))
        swaps.request_swap(slot, other, by=actor(), reason=request.form.get("reason", ""))

    return _act(slot, change, _("Solicitud de intercambio enviada a la otra comuna."))


@bp.route("/swaps/<int:swap_id>/<any(accept, reject, approve):action>", methods=["POST"])
@roles(Role.OFFICER, *COORDINATORS)
def decide_swap(swap_id: int, action: str):
    swap = db.session.get(SlotSwap, swap_id)
    user = actor()
    if swap is None or not (
        policy.sees_commune(user, swap.from_commune_id)
        or policy.sees_commune(user, swap.to_commune_id)
    ):
        abort(404)  # another commune's swap does not exist for this officer
    slot = _slot_or_404(swap.slot_a_id)

    def decide() -> None:
        if action == "accept":
            swaps.accept_swap(swap, by=user)
        elif action == "approve":
            swaps.approve_swap(swap, by=user)
        else:
            swaps.reject_swap(swap, by=user, reason=request.form.get("reason", ""))

    messages = {
        SwapState.ACCEPTED: _("Intercambio aceptado; falta la aprobación del mall."),
        SwapState.APPROVED: _("Intercambio aprobado: las comunas cambiaron de semana."),
        SwapState.REJECTED: _("Intercambio rechazado."),
        SwapState.CANCELLED: _("Solicitud de intercambio retirada."),
    }
    return actions.run(
        decide,
        done=lambda _result: _slot_response(slot, messages[swap.state]),
        refused=_refused_on_week(slot.id),
    )


# --- settings: rule, weights, blackouts, unavailability, moving one week -----------------------

WEEKDAYS = [
    (0, _l("lunes")),
    (1, _l("martes")),
    (2, _l("miércoles")),
    (3, _l("jueves")),
    (4, _l("viernes")),
    (5, _l("sábado")),
    (6, _l("domingo")),
]


class RuleForm(FlaskForm):
    mode = SelectField(
        _l("Reparto"),
        choices=[
            SelectChoice("host", _l("Comuna anfitriona: cada semana es de una comuna, por turnos")),
            SelectChoice(
                "shared", _l("Compartido: los stands de cada semana se reparten por cupos")
            ),
        ],
    )
    week_rule = SelectField(
        _l("Semana del mes"),
        choices=[
            SelectChoice("nth_full_week", _l("La N-ésima semana completa del mes")),
            SelectChoice("last_full_week", _l("La última semana completa del mes")),
            SelectChoice(
                "week_of_nth_weekday", _l("La semana que contiene el N-ésimo día indicado")
            ),
        ],
    )
    week_rule_n = IntegerField(_l("N"), validators=[InputRequired(), NumberRange(1, 5)])
    week_rule_weekday = SelectField(
        _l("Día indicado"), coerce=int, choices=[SelectChoice(v, t) for v, t in WEEKDAYS]
    )
    week_start_weekday = SelectField(
        _l("La semana empieza el"), coerce=int, choices=[SelectChoice(v, t) for v, t in WEEKDAYS]
    )
    week_length_days = IntegerField(
        _l("Días de stands"), validators=[InputRequired(), NumberRange(1, 7)]
    )
    nominations_close_days = IntegerField(
        _l("Cierre de nominaciones (días antes)"), validators=[InputRequired(), NumberRange(0, 90)]
    )
    max_weeks = IntegerField(
        _l("Máximo de semanas por emprendedor al año"),
        validators=[InputRequired(), NumberRange(1, 12)],
    )


def _settings_context(program: Program, rule_form: RuleForm | None = None) -> dict:
    user = actor()
    if rule_form is None:
        rule_form = RuleForm(
            mode=program.mode.value,
            week_rule=program.week_rule.value,
            week_rule_n=program.week_rule_n,
            week_rule_weekday=program.week_rule_weekday,
            week_start_weekday=program.week_start_weekday,
            week_length_days=program.week_length_days,
            nominations_close_days=program.nominations_close_days,
            max_weeks=program.max_weeks_per_entrepreneur_year,
        )
    blackouts = (
        db.session.execute(
            select(Blackout)
            .where(Blackout.program_id == program.id)
            .order_by(Blackout.year, Blackout.month)
        )
        .scalars()
        .all()
    )
    unavailability = (
        select(CommuneUnavailability)
        .where(CommuneUnavailability.program_id == program.id)
        .options(selectinload(CommuneUnavailability.commune))
        .order_by(CommuneUnavailability.year, CommuneUnavailability.month)
    )
    communes = _communes()
    if (own := policy.commune_scope(user)) is not None:
        communes = [c for c in communes if c.id == own]
    return {
        "program": program,
        "rule_form": rule_form,
        "blackouts": blackouts,
        "unavailability": db.session.execute(unavailability).scalars().all(),
        "communes": communes,
        "all_communes": _communes(),
        "years": range(program.starts_on.year, program.ends_on.year + 1),
        "can_edit": policy.runs_the_mall(user),
        "may_edit_unavailability": lambda cid: policy.can_edit_unavailability(user, cid),
    }


@bp.route("/programs/<int:program_id>/settings")
@staff
def settings(program_id: int):
    program = _program_or_404(program_id)
    return render_template("rotation/settings.html", **_settings_context(program))


@bp.route("/programs/<int:program_id>/settings/rule", methods=["POST"])
@roles(*COORDINATORS)
def update_rule(program_id: int):
    program = _program_or_404(program_id)
    form = RuleForm()
    if not form.validate_on_submit():
        return render_template("rotation/settings.html", **_settings_context(program, form)), 400

    def update():
        return rotation_settings.update_rule(
            program,
            by=actor(),
            mode=AllocationMode(form.mode.data),
            week_rule=WeekRule(form.week_rule.data),
            week_rule_n=form.week_rule_n.data,
            week_rule_weekday=form.week_rule_weekday.data,
            week_start_weekday=form.week_start_weekday.data,
            week_length_days=form.week_length_days.data,
            nominations_close_days=form.nominations_close_days.data,
            max_weeks_per_entrepreneur_year=form.max_weeks.data,
        )

    def refused(exc: DomainError):
        getattr(form, exc.field or "mode", form.mode).errors.append(exc.message)
        return render_template(
            "rotation/settings.html", **_settings_context(program, form)
        ), exc.status

    def done(results):
        moved = sum(len(r.moved) for r in results)
        created = sum(len(r.created) for r in results)
        kept = sum(len(r.kept) for r in results)
        flash(
            _(
                "Regla guardada: %(c)d semanas nuevas, %(m)d movidas, %(k)d se mantienen porque "
                "ya tienen nominaciones, cambio manual o avanzaron.",
                c=created,
                m=moved,
                k=kept,
            ),
            "success",
        )
        return redirect(url_for("rotation.settings", program_id=program.id))

    return actions.run(update, done=done, refused=refused)


@bp.route("/programs/<int:program_id>/settings/weights", methods=["POST"])
@roles(*COORDINATORS)
def update_weights(program_id: int):
    program = _program_or_404(program_id)
    weights = {}
    for c in _communes():
        raw = request.form.get(f"weight-{c.id}", str(c.weight))
        # NaN and infinities are Decimals too, which the rule's range check cannot compare.
        message = _("El peso «%(v)s» no es un número.", v=raw)
        weights[c.id] = str(params.parse_decimal(raw, message=message))
    rotation_settings.set_weights(weights, by=actor())
    db.session.commit()
    flash(
        _("Pesos guardados. Replanifique para aplicarlos a las semanas aún planificadas."),
        "success",
    )
    return redirect(url_for("rotation.settings", program_id=program.id))


def _year_month() -> tuple[int, int]:
    year = request.form.get("year", type=int)
    month = request.form.get("month", type=int)
    if year is None or month is None:
        raise Invalid(_("Indique año y mes."))
    return year, month


@bp.route("/programs/<int:program_id>/blackouts", methods=["POST"])
@roles(*COORDINATORS)
def add_blackout(program_id: int):
    program = _program_or_404(program_id)
    year, month = _year_month()
    rotation_settings.add_blackout(
        program, year, month, by=actor(), reason=request.form.get("reason", "")
    )
    db.session.commit()
    flash(_("Mes bloqueado. Replanifique para liberar su turno."), "success")
    return redirect(url_for("rotation.settings", program_id=program.id))


@bp.route("/blackouts/<int:blackout_id>/delete", methods=["POST"])
@roles(*COORDINATORS)
def remove_blackout(blackout_id: int):
    blackout = db.session.get(Blackout, blackout_id) or abort(404)
    program_id = blackout.program_id
    rotation_settings.remove_blackout(blackout, by=actor())
    db.session.commit()
    flash(_("Bloqueo eliminado."), "success")
    return redirect(url_for("rotation.settings", program_id=program_id))


@bp.route("/programs/<int:program_id>/unavailability", methods=["POST"])
@roles(Role.OFFICER, *COORDINATORS)
def add_unavailability(program_id: int):
    program = _program_or_404(program_id)
    user = actor()
    commune_id = params.form_id("commune_id")
    if (own := policy.commune_scope(user)) is not None:
        commune_id = own  # an officer speaks for their own commune only
    commune = db.session.get(Commune, commune_id or 0)
    if commune is None:
        raise Invalid(_("Elija una comuna."))
    year, month = _year_month()
    rotation_settings.add_unavailability(
        program, commune, year, month, by=user, reason=request.form.get("reason", "")
    )
    db.session.commit()
    flash(_("Mes no disponible registrado para %(c)s.", c=commune.name), "success")
    return redirect(url_for("rotation.settings", program_id=program.id))


@bp.route("/unavailability/<int:row_id>/delete", methods=["POST"])
@roles(Role.OFFICER, *COORDINATORS)
def remove_unavailability(row_id: int):
    row = db.session.get(CommuneUnavailability, row_id)
    user = actor()
    if row is None or not policy.can_edit_unavailability(user, row.commune_id):
        abort(404)  # another commune's row does not exist for an officer
    program_id = row.program_id
    rotation_settings.remove_unavailability(row, by=user)
    db.session.commit()
    flash(_("Mes disponible otra vez."), "success")
    return redirect(url_for("rotation.settings", program_id=program_id))


@bp.route("/slots/<int:slot_id>/move", methods=["POST"])
@roles(*COORDINATORS)
def move(slot_id: int):
    slot = _slot_or_404(slot_id)

    def change() -> None:
        starts_on = params.parse_date(request.form.get("starts_on"), field="starts_on")
        rotation_settings.move_slot(
            slot, starts_on, by=actor(), reason=request.form.get("reason", "")
        )

    return _act(slot, change, _("Semana movida."))
