"""What the mall weeks did for the province: figures by year, week and commune for the board.

Every figure comes from a handful of aggregate queries (GROUP BY in the database), the same
number whatever the years of data; the web layer only renders the tables built here, and the
CSV and XLSX exports write the very same tables, so a page and its export always agree.

What each figure counts:
- a week *held* is one in progress or completed (cancelled weeks are counted apart);
- *stands offered* are the stands given to the communes in the held weeks (their quotas);
- *stands assigned* are the nominations of held weeks that got a stand (approved, confirmed,
  attended or no-show: NominationState.USED_WEEK); fill rate = assigned / offered;
- *attendance* is what the coordinators record on each nomination (attended / no-show); an
  assigned nomination of a held week with neither is counted as "not recorded";
- *entrepreneurs* are distinct people with a stand in a held week, under the commune that
  nominated them; *repeat* ones had two or more such weeks in the selection (in a year's row:
  in that year);
- *waitlist promotions* are nominations moved from the waiting list to a stand, by the
  waitlist rule or by a coordinator approving from it (read from the audit trail);
- *rejections* are nominations in the rejected state, grouped by the reason given;
- *turns* are counted as the fairness planner counts them (rotation.units_in, in turns): a
  hosted week is one turn for its host, a shared week one turn split by stands. A commune's
  share of a year's turns is its weight over all weights.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, case, distinct, func, or_, select
from sqlalchemy.orm import selectinload

from app.domain.nomination_states import state_label
from app.domain.rotation import units_in
from app.extensions import db
from app.models import (
    AllocationMode,
    AuditEvent,
    Category,
    Commune,
    Entrepreneur,
    Nomination,
    NominationState,
    Slot,
    SlotState,
    Stand,
    StandAssignment,
    User,
)
from app.models.users import Role

HELD_STATES = frozenset({SlotState.IN_PROGRESS, SlotState.COMPLETED})
_UNRECORDED = frozenset({NominationState.APPROVED, NominationState.CONFIRMED})
TOP_REASONS = 12  # the rest of the rejection reasons are summed as "other reasons"


@dataclass(frozen=True)
class Filters:
    year: int | None = None
    commune: Commune | None = None


@dataclass
class Figures:
    """One row of counts: a year, a week, a commune or the whole selection."""

    weeks_held: int = 0
    weeks_cancelled: int = 0
    stands_offered: int = 0
    stands_assigned: int = 0
    entrepreneurs: int = 0
    repeat: int = 0
    attended: int = 0
    no_show: int = 0
    unrecorded: int = 0
    promotions: int = 0
    rejections: int = 0

    @property
    def fill_rate(self) -> float | None:
        return self.stands_assigned / self.stands_offered if self.stands_offered else None

    @property
    def attendance_rate(self) -> float | None:
        recorded = self.attended + self.no_show
        return self.attended / recorded if recorded else None


@dataclass
class WeekRow:
    slot: Slot
    communes: list[str]
    figures: Figures


@dataclass
class TurnRow:
    commune: Commune
    year: int
    entitled: float
    received: float
    balance: float  # received minus entitled, summed over the years shown up to this one

    @property
    def difference(self) -> float:
        return self.received - self.entitled


@dataclass
class TurnTotal:
    commune: Commune
    entitled: float
    received: float

    @property
    def difference(self) -> float:
        return self.received - self.entitled


@dataclass
class Report:
    filters: Filters
    years_available: list[int]
    communes: list[Commune]  # those the reader may pick (an officer: only theirs)
    total: Figures
    by_year: list[tuple[int, Figures]]
    by_commune: list[tuple[Commune, Figures]]
    weeks: list[WeekRow]
    rejections: list[tuple[str, int]]
    turns: list[TurnRow]
    turn_totals: list[TurnTotal] = field(default_factory=list)


def scope_for(user: User, filters: Filters) -> Filters:
    """An officer's reports are their own commune's, whatever the request asked."""
    if user.role is Role.OFFICER:
        commune = db.session.get(Commune, user.commune_id)
        return Filters(year=filters.year, commune=commune)
    return filters


def build(user: User, filters: Filters) -> Report:
    filters = scope_for(user, filters)
    commune_id = filters.commune.id if filters.commune else None
    communes = list(db.session.execute(select(Commune).order_by(Commune.name)).scalars())
    years_available = list(
        db.session.execute(select(Slot.year).distinct().order_by(Slot.year)).scalars()
    )

    def in_year(query, column=Slot.year):
        return query.where(column == filters.year) if filters.year is not None else query

    # 1-2. The weeks with their quotas: weeks held, stands offered, turns.
    slots = list(
        db.session.execute(
            in_year(select(Slot))
            .options(selectinload(Slot.allocations))
            .order_by(Slot.starts_on, Slot.id)
        ).scalars()
    )
    # 3. Nominations by week, commune and state.
    nomination_counts = db.session.execute(
        in_year(
            select(Nomination.slot_id, Nomination.commune_id, Nomination.state, func.count())
            .join(Slot, Slot.id == Nomination.slot_id)
            .group_by(Nomination.slot_id, Nomination.commune_id, Nomination.state)
        )
    ).all()

    # 4-5. Who had a stand in a held week: distinct people and those with two weeks or more,
    # by year and commune (repeats within the year), then by commune over the selection.
    # Counted in the database: at twenty years, the people themselves are tens of thousands
    # of rows.
    def people_by(*keys):
        weeks = (
            in_year(
                select(*keys, func.count().label("weeks"))
                .join(Slot, Slot.id == Nomination.slot_id)
                .where(Slot.state.in_(HELD_STATES), Nomination.state.in_(NominationState.USED_WEEK))
                .group_by(Nomination.entrepreneur_id, *keys)
            )
            .add_columns(Nomination.entrepreneur_id)
            .subquery()
        )
        outer = [weeks.c[k.key] for k in keys]
        return db.session.execute(
            select(
                *outer,
                func.count(),
                func.coalesce(func.sum(case((weeks.c.weeks >= 2, 1), else_=0)), 0),
            ).group_by(*outer)
        ).all()

    people_by_year = people_by(Nomination.commune_id, Slot.year)
    people_by_commune = people_by(Nomination.commune_id)
    # 6. Rejections by the reason given.
    reason_query = in_year(
        select(Nomination.reason, func.count())
        .join(Slot, Slot.id == Nomination.slot_id)
        .where(Nomination.state == NominationState.REJECTED)
        .group_by(Nomination.reason)
    )
    if commune_id is not None:
        reason_query = reason_query.where(Nomination.commune_id == commune_id)
    reasons = db.session.execute(reason_query).all()
    # 7. Promotions from the waiting list, by week and commune (from the audit trail).
    promoted = db.session.execute(
        in_year(
            select(
                AuditEvent.slot_id,
                AuditEvent.commune_id,
                func.count(distinct(AuditEvent.object_id)),
            )
            .join(Slot, Slot.id == AuditEvent.slot_id)
            .where(
                AuditEvent.object_type == "nomination",
                or_(
                    AuditEvent.action == "nomination.promote",
                    and_(
                        AuditEvent.action == "nomination.approve",
                        AuditEvent.before["state"].as_string() == NominationState.WAITLISTED.value,
                    ),
                ),
            )
            .group_by(AuditEvent.slot_id, AuditEvent.commune_id)
        )
    ).all()

    def counted(cid: int | None) -> bool:
        return commune_id is None or cid == commune_id

    slot_by_id = {s.id: s for s in slots}
    per_week: dict[int, Figures] = {s.id: Figures() for s in slots}
    per_commune: dict[int, Figures] = defaultdict(Figures)
    commune_weeks: dict[int, set[int]] = defaultdict(set)  # commune -> held weeks with stands
    shown_slots: list[Slot] = []
    for slot in slots:
        quotas = {a.commune_id: a.stands for a in slot.allocations if a.stands > 0}
        if commune_id is not None and commune_id not in quotas:
            continue
        shown_slots.append(slot)
        week = per_week[slot.id]
        if slot.state is SlotState.CANCELLED:
            week.weeks_cancelled = 1
            for cid in quotas:
                per_commune[cid].weeks_cancelled += 1
            continue
        if slot.state not in HELD_STATES:
            continue
        week.weeks_held = 1
        for cid, stands in quotas.items():
            if counted(cid):
                week.stands_offered += stands
            per_commune[cid].stands_offered += stands
            commune_weeks[cid].add(slot.id)
    for cid, held in commune_weeks.items():
        per_commune[cid].weeks_held = len(held)

    for slot_id, cid, state, n in nomination_counts:
        slot = slot_by_id[slot_id]
        targets = [per_commune[cid]]
        if counted(cid):
            targets.append(per_week[slot_id])
        for figures in targets:
            if state is NominationState.REJECTED:
                figures.rejections += n
            if slot.state not in HELD_STATES:
                continue
            if state in NominationState.USED_WEEK:
                figures.stands_assigned += n
            if state is NominationState.ATTENDED:
                figures.attended += n
            elif state is NominationState.NO_SHOW:
                figures.no_show += n
            elif state in _UNRECORDED:
                figures.unrecorded += n
    for slot_id, cid, n in promoted:
        per_commune[cid].promotions += n
        if counted(cid):
            per_week[slot_id].promotions += n

    by_year: dict[int, Figures] = {}
    for slot in shown_slots:
        by_year.setdefault(slot.year, Figures())
        _add(by_year[slot.year], per_week[slot.id])
    total = Figures()
    for figures in by_year.values():
        _add(total, figures)
    # Distinct people cannot be summed across weeks or years, but an entrepreneur belongs to
    # one commune: the communes' counts add up.
    for cid, year, people, repeat in people_by_year:
        if counted(cid):
            figures = by_year.setdefault(year, Figures())
            figures.entrepreneurs += people
            figures.repeat += repeat
    for cid, people, repeat in people_by_commune:
        per_commune[cid].entrepreneurs = people
        per_commune[cid].repeat = repeat
        if counted(cid):
            total.entrepreneurs += people
            total.repeat += repeat

    visible = [c for c in communes if counted(c.id)]
    names = {c.id: c.name for c in communes}
    turns, turn_totals = _turns(slots, communes, visible)
    return Report(
        filters=filters,
        years_available=years_available,
        communes=visible if user.role is Role.OFFICER else communes,
        total=total,
        by_year=sorted(by_year.items()),
        by_commune=[(c, per_commune.get(c.id, Figures())) for c in visible],
        weeks=[
            WeekRow(slot, _commune_names(slot, names), per_week[slot.id]) for slot in shown_slots
        ],
        rejections=_reasons(reasons),
        turns=turns,
        turn_totals=turn_totals,
    )


def _add(into: Figures, other: Figures) -> None:
    for name in (
        "weeks_held",
        "weeks_cancelled",
        "stands_offered",
        "stands_assigned",
        "attended",
        "no_show",
        "unrecorded",
        "promotions",
        "rejections",
    ):
        setattr(into, name, getattr(into, name) + getattr(other, name))


def _commune_names(slot: Slot, names: dict[int, str]) -> list[str]:
    allocations = sorted(
        (a for a in slot.allocations if a.stands > 0),
        key=lambda a: (not a.is_host, names.get(a.commune_id, "")),
    )
    return [names.get(a.commune_id, "") for a in allocations]


def _reasons(rows) -> list[tuple[str, int]]:
    """Reasons as people typed them, merged when they differ only in case or spaces; the
    most frequent first, the tail summed as "other reasons"."""
    merged: Counter[str] = Counter()
    spelling: dict[str, str] = {}  # the most frequent way of writing it (then A before a)
    for reason, n in sorted(rows, key=lambda row: (-row[1], row[0] or "")):
        text = " ".join((reason or "").split())
        key = text.casefold()
        spelling.setdefault(key, text or _("(sin motivo)"))
        merged[key] += n
    ranked = sorted(merged.items(), key=lambda kv: (-kv[1], spelling[kv[0]]))
    out = [(spelling[k], n) for k, n in ranked[:TOP_REASONS]]
    rest = sum(n for _k, n in ranked[TOP_REASONS:])
    if rest:
        out.append((_("Otros motivos"), rest))
    return out


def _turns(
    slots: list[Slot], communes: list[Commune], visible: list[Commune]
) -> tuple[list[TurnRow], list[TurnTotal]]:
    """Turns each commune received and its share of each year's turns, as the fairness
    planner counts them (every commune's weight, whatever the filter)."""
    weight_sum = sum(float(c.weight) for c in communes) or 1.0
    received: dict[int, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    totals: dict[int, float] = defaultdict(float)
    for slot in slots:
        for cid, units in units_in(AllocationMode.HOST, slot).items():
            received[slot.year][cid] += units
            totals[slot.year] += units
    rows: list[TurnRow] = []
    summary: list[TurnTotal] = []
    for commune in visible:
        share = float(commune.weight) / weight_sum
        balance = 0.0
        sum_entitled = sum_received = 0.0
        for year in sorted(totals):
            entitled = share * totals[year]
            got = received[year].get(commune.id, 0.0)
            balance += got - entitled
            sum_entitled += entitled
            sum_received += got
            rows.append(TurnRow(commune, year, entitled, got, balance))
        summary.append(TurnTotal(commune, sum_entitled, sum_received))
    return rows, summary


# --- tables: what the page shows and the exports write --------------------------------------


@dataclass(frozen=True)
class Column:
    header: str
    kind: str = "int"  # int, decimal, percent, date, text


@dataclass
class Table:
    name: str  # the file name's stem: "anos", "comunas"...
    title: str
    columns: list[Column]
    rows: list[list[Any]]


def _figure_columns(first: Column, *, weeks_label: str) -> list[Column]:
    return [
        first,
        Column(weeks_label),
        Column(_("Semanas canceladas")),
        Column(_("Stands ofrecidos")),
        Column(_("Stands asignados")),
        Column(_("Ocupación"), "percent"),
        Column(_("Emprendedores")),
        Column(_("Repiten")),
        Column(_("Asistieron")),
        Column(_("No se presentaron")),
        Column(_("Asistencia sin registrar")),
        Column(_("Promovidos desde lista de espera")),
        Column(_("Rechazos")),
    ]


def _figure_cells(f: Figures) -> list[Any]:
    return [
        f.weeks_held,
        f.weeks_cancelled,
        f.stands_offered,
        f.stands_assigned,
        f.fill_rate,
        f.entrepreneurs,
        f.repeat,
        f.attended,
        f.no_show,
        f.unrecorded,
        f.promotions,
        f.rejections,
    ]


def tables(report: Report) -> dict[str, Table]:
    years = Table(
        "anos",
        _("Por año"),
        _figure_columns(Column(_("Año"), "text"), weeks_label=_("Semanas realizadas")),
        [[str(year), *_figure_cells(f)] for year, f in report.by_year],
    )
    communes = Table(
        "comunas",
        _("Por comuna"),
        _figure_columns(Column(_("Comuna"), "text"), weeks_label=_("Semanas con stands")),
        [[c.name, *_figure_cells(f)] for c, f in report.by_commune],
    )
    weeks = Table(
        "semanas",
        _("Semana a semana"),
        [
            Column(_("Inicio"), "date"),
            Column(_("Término"), "date"),
            Column(_("Estado"), "text"),
            Column(_("Comunas"), "text"),
            Column(_("Stands ofrecidos")),
            Column(_("Stands asignados")),
            Column(_("Ocupación"), "percent"),
            Column(_("Asistieron")),
            Column(_("No se presentaron")),
            Column(_("Promovidos desde lista de espera")),
            Column(_("Rechazos")),
        ],
        [
            [
                w.slot.starts_on,
                w.slot.ends_on,
                _slot_state_label(w.slot.state),
                ", ".join(w.communes),
                w.figures.stands_offered,
                w.figures.stands_assigned,
                w.figures.fill_rate,
                w.figures.attended,
                w.figures.no_show,
                w.figures.promotions,
                w.figures.rejections,
            ]
            for w in report.weeks
        ],
    )
    turns = Table(
        "turnos",
        _("Turnos que correspondían y turnos recibidos"),
        [
            Column(_("Comuna"), "text"),
            Column(_("Año"), "text"),
            Column(_("Le correspondían"), "decimal"),
            Column(_("Recibió"), "decimal"),
            Column(_("Diferencia"), "decimal"),
            Column(_("Saldo acumulado"), "decimal"),
        ],
        [
            [t.commune.name, str(t.year), t.entitled, t.received, t.difference, t.balance]
            for t in report.turns
        ],
    )
    rejections = Table(
        "rechazos",
        _("Rechazos por motivo"),
        [Column(_("Motivo"), "text"), Column(_("Rechazos"))],
        [[reason, n] for reason, n in report.rejections],
    )
    return {t.name: t for t in (years, communes, weeks, turns, rejections)}


def _slot_state_label(state: SlotState) -> str:
    from app.domain.slot_states import STATE_LABELS

    return str(STATE_LABELS[state])


# --- a week's roster for the front desk -----------------------------------------------------


@dataclass(frozen=True)
class RosterLine:
    stand_code: str
    business_name: str
    owner_name: str
    rut: str
    commune: str
    category: str
    phone: str
    email: str
    needs: str
    state: NominationState


def roster(slot: Slot, user: User) -> list[RosterLine]:
    """Who holds a stand this week, by stand: for the front desk (an officer: their commune's
    people only). One query."""
    from app.domain.registry import format_phone
    from app.domain.rut import format_rut

    query = (
        select(
            Stand.code,
            Entrepreneur,
            Commune.name.label("commune"),
            Category.name.label("category"),
            Nomination.state,
        )
        .select_from(StandAssignment)
        .join(Nomination, Nomination.id == StandAssignment.nomination_id)
        .join(Entrepreneur, Entrepreneur.id == Nomination.entrepreneur_id)
        .join(Commune, Commune.id == Nomination.commune_id)
        .join(Category, Category.id == Entrepreneur.category_id)
        .join(Stand, Stand.id == StandAssignment.stand_id)
        .where(
            StandAssignment.slot_id == slot.id,
            StandAssignment.released_at.is_(None),
            Nomination.state.in_((*NominationState.ON_ROSTER, NominationState.NO_SHOW)),
        )
        .order_by(Stand.code)
    )
    if user.role is Role.OFFICER:
        query = query.where(Nomination.commune_id == user.commune_id)
    lines = []
    for code, e, commune, category, state in db.session.execute(query):
        needs = [
            label
            for wanted, label in (
                (e.needs_power, _("enchufe")),
                (e.needs_table, _("mesa")),
                (e.needs_food_handling, _("alimentos")),
            )
            if wanted
        ]
        lines.append(
            RosterLine(
                stand_code=code,
                business_name=e.business_name,
                owner_name=e.owner_name,
                rut=format_rut(e.rut),
                commune=commune,
                category=category,
                phone=format_phone(e.phone),
                email=e.email or "",
                needs=", ".join(needs),
                state=state,
            )
        )
    return lines


def roster_table(slot: Slot, lines: list[RosterLine]) -> Table:
    return Table(
        f"nomina-{slot.starts_on:%Y-%m-%d}",
        _("Nómina de la semana"),
        [
            Column(_("Stand"), "text"),
            Column(_("Emprendimiento"), "text"),
            Column(_("Titular"), "text"),
            Column(_("RUT"), "text"),
            Column(_("Comuna"), "text"),
            Column(_("Rubro"), "text"),
            Column(_("Teléfono"), "text"),
            Column(_("Correo"), "text"),
            Column(_("Necesita"), "text"),
            Column(_("Estado"), "text"),
            Column(_("Inicio"), "date"),
            Column(_("Término"), "date"),
        ],
        [
            [
                line.stand_code,
                line.business_name,
                line.owner_name,
                line.rut,
                line.commune,
                line.category,
                line.phone,
                line.email,
                line.needs,
                state_label(line.state),
                slot.starts_on,
                slot.ends_on,
            ]
            for line in lines
        ],
    )
