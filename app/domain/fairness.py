"""The fairness report: for each commune, what it is owed this year, what it has, and why."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _

from app.domain.rotation import PlanPreview, assigned_units
from app.domain.rotation_planner import MONTH_NAMES
from app.models import AllocationMode, Commune, Program


@dataclass
class CommuneFairness:
    commune: Commune
    share: float
    carry_in: float
    entitled: float  # this year's fair amount (turns or stands), carry included
    planned: int  # what the fair planner would give
    assigned: int  # what the commune holds now (overrides and swaps included)
    reasons: list[str] = field(default_factory=list)

    @property
    def deviation(self) -> float:
        return self.assigned - self.entitled


def report(preview: PlanPreview, communes: list[Commune]) -> list[CommuneFairness]:
    program: Program = preview.program
    assigned = {c.id: 0 for c in communes}
    for slot in preview.slots:
        for commune_id, units in assigned_units(program, slot).items():
            assigned[commune_id] = assigned.get(commune_id, 0) + units
    planned = dict(assigned)
    for change in preview.changes:
        # The planner's version of the free slots that it would change.
        before = _units(program, change.before, change.before_host)
        after = _units(program, change.after, change.after_host)
        for commune_id in set(before) | set(after):
            planned[commune_id] = (
                planned.get(commune_id, 0) - before.get(commune_id, 0) + after.get(commune_id, 0)
            )
    total = sum(assigned.values())
    weight_sum = sum(float(c.weight) for c in communes) or 1.0
    unit = _("turnos") if program.mode is AllocationMode.HOST else _("stands")
    rows = []
    for commune in communes:
        share = float(commune.weight) / weight_sum
        carry = preview.carry_in.get(commune.id, 0.0)
        entitled = max(share * total - carry, 0.0)
        reasons = []
        if carry >= 0.005:
            reasons.append(
                _(
                    "Arrastra un superávit de %(n)s %(unit)s de años anteriores: "
                    "le corresponde menos.",
                    n=_number(carry),
                    unit=unit,
                )
            )
        elif carry <= -0.005:
            reasons.append(
                _(
                    "Arrastra un déficit de %(n)s %(unit)s de años anteriores: le corresponde más.",
                    n=_number(-carry),
                    unit=unit,
                )
            )
        inherited = preview.inherited.balance.get(commune.id, 0.0) if preview.inherited else 0.0
        if abs(carry) >= 0.005 and abs(inherited) >= 0.005:
            program_name = preview.inherited.program.name
            if abs(carry - inherited) < 0.005:  # the program's first year: all of it
                reasons.append(_("Viene de «%(program)s».", program=program_name))
            else:
                reasons.append(
                    _(
                        "De ese saldo, %(n)s %(unit)s vienen de «%(program)s».",
                        n=_signed(inherited),
                        unit=unit,
                        program=program_name,
                    )
                )
        months = sorted(preview.unavailable.get(commune.id, ()))
        if months:
            reasons.append(
                _(
                    "No disponible en %(months)s.",
                    months=", ".join(MONTH_NAMES[m - 1] for m in months),
                )
            )
        deviation = assigned[commune.id] - entitled
        if deviation >= 0.005:
            reasons.append(
                _(
                    "Recibe %(d)s más por redondeo: pasa como saldo al año siguiente.",
                    d=_number(deviation),
                )
            )
        elif deviation <= -0.005:
            reasons.append(
                _(
                    "Recibe %(d)s menos por redondeo: pasa a su favor al año siguiente.",
                    d=_number(-deviation),
                )
            )
        if planned[commune.id] != assigned[commune.id]:
            reasons.append(
                _(
                    "Cambios manuales o intercambios: el plan justo le daría %(n)d.",
                    n=planned[commune.id],
                )
            )
        rows.append(
            CommuneFairness(
                commune, share, carry, entitled, planned[commune.id], assigned[commune.id], reasons
            )
        )
    return rows


def carry_note(preview: PlanPreview) -> str | None:
    """Where the balance comes from when the program continues an earlier one, and how the
    earlier weeks were counted when that one gave them the other way (turns vs stands)."""
    inherited = preview.inherited
    if inherited is None:
        return None
    note = _(
        "El saldo anterior incluye el de «%(program)s», el programa anterior de este mall: lo "
        "justo sigue de un programa al siguiente.",
        program=inherited.program.name,
    )
    if not inherited.converted:
        return note
    if preview.program.mode is AllocationMode.HOST:
        how = _(
            "Un programa anterior repartía los stands por cupos: cada una de sus semanas cuenta "
            "como un turno, dividido entre sus comunas según los stands de cada una."
        )
    else:
        how = _(
            "Un programa anterior daba cada semana a una comuna: cada una de esas semanas cuenta "
            "por los stands que tuvo su comuna."
        )
    return f"{note} {how}"


def _signed(value: float) -> str:
    return f"{value:+.2f}".replace(".", ",")


def _number(value: float) -> str:
    return f"{value:.2f}".replace(".", ",")


def _units(program: Program, quotas: dict[int, int], host: int | None) -> dict[int, int]:
    if program.mode is AllocationMode.HOST:
        return {host: 1} if host is not None else {}
    return dict(quotas)
