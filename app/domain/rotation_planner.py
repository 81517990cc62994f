"""Owns the fair yearly split of the mall's monthly stand slots among the province's communes."""

# How a year is planned (both modes share steps 1 and 2):
#
# 1. Entitlement. Each commune's fair amount for the year is its weight share of the year's
#    total (turns in host mode, stands in shared mode), corrected by the balance it carries from
#    last year. Arithmetic is exact (fractions.Fraction of the given floats) so that ties and
#    "is this exactly 3?" questions never depend on rounding noise, and the plan is deterministic.
#
# 2. Yearly totals. The total is apportioned with Sainte-Laguë (Webster), restricted to quota:
#    a commune gets floor(entitlement) first and at most ceil(entitlement). Plain Sainte-Laguë can
#    (rarely) break quota; whenever it does not, the restricted version gives the same result, so
#    the restriction only guards the promise "within one of what you are owed". Availability is
#    enforced while apportioning: a unit is only granted if a month-by-month assignment that
#    honours every commune's unavailable months still exists (an incremental bipartite flow,
#    `_Transport`). The sets of achievable totals form a polymatroid, so this greedy always ends
#    with the whole year assigned and reaches within-quota totals whenever they are achievable.
#
# 3. Placement through the year. Host mode picks one host per slot, shared mode hands out each
#    slot's stands one by one. Both follow a pace: commune i should have received
#    total_i * (its fair share of the slots so far) / (its fair share of the whole year), and the
#    most overdue commune goes next. Every choice is first checked against the flow so the
#    remaining slots can still complete everyone's total (a commune with few available months is
#    thus forced into them in time). Host mode first avoids giving a commune two turns in a row,
#    using an exact count of the repeats that the remaining turns make unavoidable. Shared mode
#    first keeps each slot's split at floor or ceil of what each commune is due in that slot, so
#    catching up never shows as a lopsided month.
#
# When unavailability makes "within one of the entitlement" impossible (a commune available in
# fewer months than it is owed turns, a month only one commune can take...), the year is still
# fully assigned: the short commune gets every unit it can, the others absorb the rest by the
# same Sainte-Laguë priority, the gap goes into `carry_out`, and `reasons` says why.

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

__all__ = [
    "METHOD",
    "MONTH_NAMES",
    "CommuneExplanation",
    "CommuneInput",
    "Plan",
    "SlotInput",
    "apportion_webster",
    "plan_host_rotation",
    "plan_shared",
]

METHOD = "Sainte-Laguë (Webster)"
MONTH_NAMES = (
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
)
HOST_MODE = "host"
SHARED_MODE = "shared"

# Differences smaller than this (in turns or stands) are not worth a sentence in the reasons.
_NOTICEABLE = Fraction(1, 200)


@dataclass(frozen=True)
class CommuneInput:
    """One commune taking part in the year's rotation."""

    id: int
    weight: float = 1.0  # > 0; relative size of its share
    # Last year's balance, assigned - entitled: positive is a surplus (it got more than it was
    # due, so it is due less this year), negative a deficit. Feed `carry_out` back in here.
    carry: float = 0.0
    unavailable_months: frozenset[int] = frozenset()  # months 1..12 it cannot take part in


@dataclass(frozen=True)
class SlotInput:
    """One month's week of stands; slots are given in chronological order."""

    key: str  # stable id, e.g. "2027-03"
    month: int  # 1..12
    capacity: int  # stands in this slot, >= 0
    blocked: bool = False  # mall blackout: nobody gets it


@dataclass
class CommuneExplanation:
    """What a commune was owed this year, what it got, and why they differ."""

    commune_id: int
    weight: float
    share: float  # weight / total weight
    # The fair amount for this year that the planner aimed at (see `_entitlements`):
    #   raw = share * total - (carry - share * sum of all carries)
    # i.e. share*total - carry when the carries sum to zero (which they do when every carry
    # comes from a previous plan); negative raw values are clipped to 0 and the others scaled
    # down so the entitlements always add up to the year's total.
    entitlement: float
    assigned: int  # turns (host mode) or stands (shared mode) actually given
    # Balance to feed into next year's `carry`: assigned - raw (raw as above, before clipping).
    # With zero-sum carries it is exactly assigned - share*total + carry, and over all communes
    # it always sums to zero.
    carry_out: float
    reasons: list[str]  # short Spanish sentences explaining deviations


@dataclass
class Plan:
    """A year's allocation, per slot key, with per-commune explanations."""

    mode: str  # "host" or "shared"
    # host mode: slot key -> commune id (None when blocked or nobody is available);
    # shared mode: slot key -> None
    hosts: dict[str, int | None]
    # slot key -> {commune id: stands}. Host mode: {host: capacity}. Shared mode: every commune
    # available that month (0 stands included), unavailable communes absent. Blocked -> {}.
    quotas: dict[str, dict[int, int]]
    explanations: dict[int, CommuneExplanation]
    method: str
    notes: list[str] = field(default_factory=list)  # plan-wide Spanish notes (blocked months...)


# --------------------------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------------------------


def apportion_webster(weights: Mapping[int, float], seats: int) -> dict[int, int]:
    """Sainte-Laguë highest averages: each seat goes to the largest weight / (2 * seats + 1).

    Ties go to the smallest id. Zero weights are allowed (they only win seats nobody else can
    take, which cannot happen while some weight is positive).
    """
    if isinstance(seats, bool) or not isinstance(seats, int) or seats < 0:
        raise ValueError("seats must be a non-negative integer")
    exact = {cid: _exact(w, f"weight of {cid}") for cid, w in weights.items()}
    if any(w < 0 for w in exact.values()):
        raise ValueError("weights must be non-negative")
    result = dict.fromkeys(sorted(exact), 0)
    if seats and not any(exact.values()):
        raise ValueError("cannot apportion seats without a positive weight")
    for _ in range(seats):
        best = max(result, key=lambda cid: (exact[cid] / (2 * result[cid] + 1), -cid))
        result[best] += 1
    return result


def plan_host_rotation(
    communes: Sequence[CommuneInput],
    slots: Sequence[SlotInput],
    *,
    previous_host: int | None = None,
) -> Plan:
    """One commune hosts each slot; turns are shared by weight and spread through the year.

    `previous_host` is the host of the last turn of the previous year, so the year does not open
    with the same commune again. "Consecutive" means consecutive turns: blocked or vacant months
    in between do not separate them.
    """
    communes, slots = _validated(communes, slots)
    turn_slots = [
        i for i, s in enumerate(slots) if not s.blocked and _available_at(communes, s.month)
    ]
    available = [set(_available_at(communes, slots[i].month)) for i in turn_slots]
    total = len(turn_slots)

    entitlements = _entitlements(communes, total)
    assigned, transport = _apportion_within_quota(entitlements, [1] * total, available)
    pace = _pace(communes, [1] * total, available, assigned)

    order = _sequence_hosts(transport, available, assigned, pace, previous_host)

    hosts: dict[str, int | None] = {s.key: None for s in slots}
    quotas: dict[str, dict[int, int]] = {s.key: {} for s in slots}
    for position, host in zip(turn_slots, order, strict=True):
        slot = slots[position]
        hosts[slot.key] = host
        quotas[slot.key] = {host: slot.capacity}

    explanations = _explain(
        communes, slots, entitlements, total, assigned, unit=("turno", "turnos")
    )
    _explain_repeats(explanations, [slots[i] for i in turn_slots], order, previous_host)
    return Plan(HOST_MODE, hosts, quotas, explanations, METHOD, _notes(communes, slots))


def plan_shared(
    communes: Sequence[CommuneInput],
    slots: Sequence[SlotInput],
    *,
    previous_quotas: Mapping[int, int] | None = None,
) -> Plan:
    """Every slot's stands are split among the communes available that month.

    Who receives each slot's leftover stand rotates, so the yearly totals stay within one stand
    of the entitlements. `previous_quotas` is the split of the previous year's last slot: among
    otherwise equal candidates, whoever got more than its share there yields the extra stand.
    """
    communes, slots = _validated(communes, slots)
    # Only slots with stands and someone to take them enter the flow; the rest are still listed.
    stand_slots = [
        i
        for i, s in enumerate(slots)
        if not s.blocked and s.capacity > 0 and _available_at(communes, s.month)
    ]
    capacities = [slots[i].capacity for i in stand_slots]
    available = [set(_available_at(communes, slots[i].month)) for i in stand_slots]
    total = sum(capacities)

    entitlements = _entitlements(communes, total)
    assigned, transport = _apportion_within_quota(entitlements, capacities, available)
    pace = _pace(communes, capacities, available, assigned)

    weights = {c.id: Fraction(c.weight) for c in communes}
    excess = _previous_excess(weights, previous_quotas)
    splits = _distribute_stands(transport, capacities, available, assigned, pace, weights, excess)

    hosts: dict[str, int | None] = {s.key: None for s in slots}
    quotas: dict[str, dict[int, int]] = {}
    for slot in slots:
        present = [] if slot.blocked else _available_at(communes, slot.month)
        quotas[slot.key] = dict.fromkeys(present, 0)
    for position, split in zip(stand_slots, splits, strict=True):
        quotas[slots[position].key].update(split)

    explanations = _explain(
        communes, slots, entitlements, total, assigned, unit=("puesto", "puestos")
    )
    return Plan(SHARED_MODE, hosts, quotas, explanations, METHOD, _notes(communes, slots))


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


def _carry(commune: CommuneInput) -> Fraction:
    """The carry as the rational it stands for. Carries come back from last year's carry_out
    as floats (5/6 → 0.8333333333333334); read exactly, that noise can tip an entitlement of
    exactly 6 to 5.999…, whose floor is 5 — one turn short. Denominators here are sums of
    weights and turn counts, far below a million."""
    exact = Fraction(commune.carry)
    near = exact.limit_denominator(1_000_000)
    # Only snap float noise (a few ulps); a deliberately tiny carry stays as given.
    return near if abs(near - exact) < Fraction(1, 10**12) else exact


def _exact(value: float, what: str) -> Fraction:
    """The exact value of a finite float (or int), so later comparisons are exact."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number")
    return Fraction(value)


def _validated(
    communes: Sequence[CommuneInput], slots: Sequence[SlotInput]
) -> tuple[list[CommuneInput], list[SlotInput]]:
    # Communes are processed in id order: together with id tie-breaks this makes the plan
    # independent of the order in which the caller lists them.
    ordered = sorted(communes, key=lambda c: c.id)
    ids = [c.id for c in ordered]
    if len(set(ids)) != len(ids):
        raise ValueError("commune ids must be unique")
    for c in ordered:
        if _exact(c.weight, f"weight of commune {c.id}") <= 0:
            raise ValueError(f"weight of commune {c.id} must be positive")
        _exact(c.carry, f"carry of commune {c.id}")
        if any(m not in range(1, 13) for m in c.unavailable_months):
            raise ValueError(f"unavailable months of commune {c.id} must be within 1..12")
    slot_list = list(slots)
    keys = [s.key for s in slot_list]
    if len(set(keys)) != len(keys):
        raise ValueError("slot keys must be unique")
    for s in slot_list:
        if s.month not in range(1, 13):
            raise ValueError(f"month of slot {s.key} must be within 1..12")
        if isinstance(s.capacity, bool) or not isinstance(s.capacity, int) or s.capacity < 0:
            raise ValueError(f"capacity of slot {s.key} must be a non-negative integer")
    return ordered, slot_list


def _available_at(communes: Sequence[CommuneInput], month: int) -> list[int]:
    return [c.id for c in communes if month not in c.unavailable_months]


# --------------------------------------------------------------------------------------------
# Step 1: entitlements
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Entitlement:
    share: Fraction  # weight / total weight
    carry: Fraction  # as given
    carry_used: Fraction  # carry rebalanced so that all carries sum to zero
    raw: Fraction  # share * total - carry_used; these sum exactly to the total
    target: Fraction  # raw clipped at 0 and rescaled to keep the sum: what the planner aims at


def _entitlements(communes: Sequence[CommuneInput], total: int) -> dict[int, _Entitlement]:
    """Fair amounts for the year, summing exactly to `total`.

    Carries produced by this planner sum to zero, but hand-entered ones may not. Since the year's
    total is fixed, a net surplus or deficit cannot be honoured as such; it is spread over the
    communes in proportion to their weight (as if the province's total had been different),
    which leaves zero-sum carries untouched.

    A commune whose surplus exceeds this year's share would need a negative amount; it is set to
    0 and the others are scaled down proportionally. Its `carry_out` keeps the part of the
    surplus that could not be returned this year.
    """
    if not communes:
        return {}
    total_weight = sum(Fraction(c.weight) for c in communes)
    net_carry = sum(_carry(c) for c in communes)
    partial: dict[int, tuple[Fraction, Fraction, Fraction, Fraction]] = {}
    for c in communes:
        share = Fraction(c.weight) / total_weight
        carry = _carry(c)
        carry_used = carry - share * net_carry
        partial[c.id] = (share, carry, carry_used, share * total - carry_used)
    positive = sum(max(raw, Fraction(0)) for *_, raw in partial.values())
    result = {}
    for cid, (share, carry, carry_used, raw) in partial.items():
        # positive >= sum(raw) == total, so the division is safe whenever total > 0.
        target = max(raw, Fraction(0)) * total / positive if total else Fraction(0)
        result[cid] = _Entitlement(share, carry, carry_used, raw, target)
    return result


# --------------------------------------------------------------------------------------------
# Availability: an incremental bipartite flow
# --------------------------------------------------------------------------------------------


class _Transport:
    """Units from communes to slots, each slot holding at most its capacity.

    `units[s][c]` is how many units of slot s commune c currently holds; `fixed[s][c]` how many
    of those are final (already decided in chronological placement). Unfixed units may be moved
    around by augmenting paths: that is how the planner proves a choice keeps the rest feasible.
    """

    def __init__(self, capacities: list[int], available: list[set[int]], ids: list[int]):
        self.capacity = capacities
        self.load = [0] * len(capacities)
        self.units: list[dict[int, int]] = [{} for _ in capacities]
        self.fixed: list[dict[int, int]] = [{} for _ in capacities]
        self.slots_of = {cid: [s for s, who in enumerate(available) if cid in who] for cid in ids}

    def _movable(self, cid: int, slot: int) -> int:
        return self.units[slot].get(cid, 0) - self.fixed[slot].get(cid, 0)

    def _shift(self, cid: int, slot: int, delta: int) -> None:
        held = self.units[slot].get(cid, 0) + delta
        if held:
            self.units[slot][cid] = held
        else:
            self.units[slot].pop(cid, None)

    def augment(self, start: int) -> bool:
        """Give `start` one more unit somewhere, moving unfixed units of others if needed.

        Breadth-first search for an alternating path start -> slot -> holder -> slot ... ending
        at a slot with spare capacity. By max-flow/min-cut, failure means no assignment at all
        gives `start` one more unit while everyone keeps their current totals (and, while
        apportioning, since the others only ever gain units, it never will).
        """
        reached_from: dict[int, int] = {}  # slot -> commune that would take a unit there
        entered_via: dict[int, int] = {}  # commune -> slot where it would give a unit up
        seen = {start}
        queue = deque([start])
        while queue:
            cid = queue.popleft()
            for slot in self.slots_of[cid]:
                if slot in reached_from:
                    continue
                reached_from[slot] = cid
                if self.load[slot] < self.capacity[slot]:
                    self._push(start, slot, reached_from, entered_via)
                    return True
                for holder in sorted(self.units[slot]):
                    if holder not in seen and self._movable(holder, slot) > 0:
                        seen.add(holder)
                        entered_via[holder] = slot
                        queue.append(holder)
        return False

    def _push(
        self, start: int, end: int, reached_from: dict[int, int], entered_via: dict[int, int]
    ) -> None:
        self.load[end] += 1
        slot = end
        while True:
            cid = reached_from[slot]
            self._shift(cid, slot, +1)
            if cid == start:
                return
            slot = entered_via[cid]
            self._shift(cid, slot, -1)

    def unfix(self, slot: int) -> None:
        """Forgets the decisions taken so far in `slot` (the assignment stays complete)."""
        self.fixed[slot].clear()

    def fix(self, cid: int, slot: int) -> bool:
        """Make one unit of `slot` final for `cid` if the rest of the year stays completable.

        Requires a complete assignment (every slot full, every commune at its total). If `cid`
        already holds an unfixed unit here, it is simply fixed. Otherwise swap: `cid` takes a
        unit of this slot from another commune and frees one of its own elsewhere; the displaced
        commune must then reach that freed unit through an augmenting path.
        """
        if self._movable(cid, slot) > 0:
            self.fixed[slot][cid] = self.fixed[slot].get(cid, 0) + 1
            return True
        displaced = next((h for h in sorted(self.units[slot]) if self._movable(h, slot) > 0), None)
        freed = next((s for s in self.slots_of[cid] if self._movable(cid, s) > 0), None)
        if displaced is None or freed is None:
            return False
        self._shift(displaced, slot, -1)
        self._shift(cid, slot, +1)
        self.fixed[slot][cid] = self.fixed[slot].get(cid, 0) + 1
        self._shift(cid, freed, -1)
        self.load[freed] -= 1
        if self.augment(displaced):
            return True
        self.load[freed] += 1
        self._shift(cid, freed, +1)
        self.fixed[slot][cid] -= 1
        if not self.fixed[slot][cid]:
            del self.fixed[slot][cid]
        self._shift(cid, slot, -1)
        self._shift(displaced, slot, +1)
        return False


# --------------------------------------------------------------------------------------------
# Step 2: yearly totals
# --------------------------------------------------------------------------------------------


def _apportion_within_quota(
    entitlements: Mapping[int, _Entitlement], capacities: list[int], available: list[set[int]]
) -> tuple[dict[int, int], _Transport]:
    """Sainte-Laguë on the targets, first up to floor, then up to ceil, then wherever possible.

    Each unit goes to the largest target / (2 * units + 1) among communes still below the
    current bound (ties: smallest id), provided the flow can place it. The third round only runs
    when unavailability makes within-quota totals impossible (e.g. a commune available in one
    month, or a month only one commune can take): the leftover units then go, by the same
    priority, to whoever can still take them.

    Returns the totals and the flow that proves them placeable.
    """
    ids = list(entitlements)
    total = sum(capacities)
    targets = {cid: e.target for cid, e in entitlements.items()}
    floors = {cid: math.floor(t) for cid, t in targets.items()}
    ceils = {cid: math.ceil(t) for cid, t in targets.items()}
    bounds: list[Mapping[int, int] | None] = [floors, ceils, None]
    # Fast path: if every commune can reach its floor, the order of the first round does not
    # matter (the sets of placeable totals are closed under lowering), so place them in bulk.
    transport = _Transport(capacities, available, ids)
    if all(transport.augment(cid) for cid in ids for _ in range(floors[cid])):
        assigned = dict(floors)
        bounds.pop(0)
    else:
        transport = _Transport(capacities, available, ids)
        assigned = dict.fromkeys(ids, 0)
    saturated: set[int] = set()
    given = sum(assigned.values())
    for bound in bounds:
        while given < total:
            candidates = [
                cid
                for cid in assigned
                if cid not in saturated and (bound is None or assigned[cid] < bound[cid])
            ]
            if not candidates:
                break
            best = max(candidates, key=lambda c: (targets[c] / (2 * assigned[c] + 1), -c))
            if transport.augment(best):
                assigned[best] += 1
                given += 1
            else:
                saturated.add(best)
    return assigned, transport


def _within_quota_ignoring_availability(
    entitlements: Mapping[int, _Entitlement], total: int
) -> dict[int, int]:
    """What `_apportion_within_quota` gives when every commune can take every slot.

    Floors first, then the leftover units to the largest target / (2 * floor + 1) among the
    communes with a fractional part. Used to tell rounding apart from availability in reasons.
    """
    floors = {cid: math.floor(e.target) for cid, e in entitlements.items()}
    leftover = total - sum(floors.values())
    eligible = [cid for cid, e in entitlements.items() if e.target > floors[cid]]
    eligible.sort(key=lambda c: (-entitlements[c].target / (2 * floors[c] + 1), c))
    return {cid: floors[cid] + (cid in eligible[:leftover]) for cid in floors}


# --------------------------------------------------------------------------------------------
# Step 3: placement through the year
# --------------------------------------------------------------------------------------------


def _pace(
    communes: Sequence[CommuneInput],
    capacities: list[int],
    available: list[set[int]],
    assigned: Mapping[int, int],
) -> list[dict[int, Fraction]]:
    """Per slot, how much each commune should have received by the end of that slot.

    A commune's natural share of a slot is capacity * weight / (weight of those available then).
    Its yearly total is spread over its slots in proportion to those natural shares, so without
    unavailability it is simply total * slots_so_far / slots, and a commune absent for part of
    the year is paced over the months it can actually take.
    """
    weights = {c.id: Fraction(c.weight) for c in communes}
    natural: list[dict[int, Fraction]] = []
    for capacity, who in zip(capacities, available, strict=True):
        present_weight = sum(weights[c] for c in who)
        natural.append({c: capacity * weights[c] / present_weight for c in who})
    year = {cid: sum(n.get(cid, Fraction(0)) for n in natural) for cid in weights}
    so_far = dict.fromkeys(weights, Fraction(0))
    pace = []
    for shares in natural:
        for cid, amount in shares.items():
            so_far[cid] += amount
        pace.append(
            {
                cid: assigned[cid] * so_far[cid] / year[cid] if year[cid] else Fraction(0)
                for cid in weights
            }
        )
    return pace


def _unavoidable_repeats(remaining: Mapping[int, int], first: int) -> int:
    """Fewest back-to-back repeats in any order of `remaining` turns that starts with `first`.

    `remaining` still counts the `first` turn. Only a commune holding more than half of the
    turns forces repeats: with m of its turns among L, it needs at least m - (L - m) repeats,
    one fewer if it opens the sequence (then m - (L - m) - 1 suffices). Otherwise zero; a
    standard exchange argument shows these bounds are attained.
    """
    length = sum(remaining.values())
    worst = 0
    for cid, count in remaining.items():
        worst = max(worst, count - (length - count) - (1 if cid == first else 0))
    return worst


def _sequence_hosts(
    transport: _Transport,
    available: list[set[int]],
    assigned: Mapping[int, int],
    pace: list[dict[int, Fraction]],
    previous_host: int | None,
) -> list[int]:
    """Chronological hosts: fewest repeats first, then the most overdue, then the smallest id.

    Without unavailability the repeat count is exact, so the year has the fewest consecutive
    turns possible (none when some order has none). With unavailability it is a heuristic,
    while `transport.fix` guarantees that every total is still met.
    """
    remaining = dict(assigned)
    last = previous_host
    order: list[int] = []
    for turn, who in enumerate(available):
        ranked = sorted(
            (
                (cid == last) + _unavoidable_repeats(remaining, cid),
                assigned[cid] - remaining[cid] - pace[turn][cid],  # minus how overdue
                cid,
            )
            for cid in who
            if remaining[cid] > 0
        )
        host = next((cid for *_, cid in ranked if transport.fix(cid, turn)), None)
        if host is None:  # unreachable: the flow proves the year completable at every step
            raise AssertionError("no feasible host; the availability flow is inconsistent")
        remaining[host] -= 1
        last = host
        order.append(host)
    return order


def _previous_excess(
    weights: Mapping[int, Fraction], previous_quotas: Mapping[int, int] | None
) -> dict[int, Fraction]:
    """How much more than its weight share each commune got in the previous slot."""
    excess = dict.fromkeys(weights, Fraction(0))
    if not previous_quotas:
        return excess
    present = [cid for cid in previous_quotas if cid in weights]
    stands = sum(previous_quotas[cid] for cid in present)
    present_weight = sum(weights[cid] for cid in present)
    for cid in present:
        excess[cid] = previous_quotas[cid] - stands * weights[cid] / present_weight
    return excess


def _distribute_stands(
    transport: _Transport,
    capacities: list[int],
    available: list[set[int]],
    assigned: Mapping[int, int],
    pace: list[dict[int, Fraction]],
    weights: Mapping[int, Fraction],
    excess: dict[int, Fraction],
) -> list[dict[int, int]]:
    """Hands out each slot's stands one at a time among the communes available in it.

    First everyone up to floor of what it is due in this slot, then up to ceil, then beyond
    (only when the yearly totals or availability force it; see `_tier`). Within a round the most
    overdue commune against the cumulative pace goes first, so whoever got the leftover stand
    this month is behind someone else next month: the extra stand rotates. Ties go to whoever
    got more below its share in the previous slot, then to the smallest id.
    """
    received = dict.fromkeys(assigned, 0)
    paced = dict.fromkeys(assigned, Fraction(0))
    splits = []
    for slot, (capacity, who) in enumerate(zip(capacities, available, strict=True)):
        split = dict.fromkeys(sorted(who), 0)
        # What each commune is due in this very slot: its pace increment, i.e. its natural share
        # of the slot scaled by (yearly total / natural yearly share). Carries and months it
        # missed are thereby spread over the year instead of being settled in one month.
        due_now = {cid: pace[slot][cid] - paced[cid] for cid in split}
        paced = pace[slot]
        # Fast path for the first tier: when every commune can be given floor(due) here, the
        # one-by-one loop below would end in exactly that state (fixing is exact, so whether a
        # set of units fits does not depend on the order they are fixed in).
        bulk = {
            cid: max(0, min(math.floor(due_now[cid]), assigned[cid] - received[cid]))
            for cid in split
        }
        if sum(bulk.values()) <= capacity and all(
            transport.fix(cid, slot) for cid in split for _ in range(bulk[cid])
        ):
            split.update(bulk)
        else:
            transport.unfix(slot)
        for _ in range(capacity - sum(split.values())):
            ranked = sorted(
                (
                    _tier(split[cid], due_now[cid]),
                    received[cid] + split[cid] - pace[slot][cid],  # minus how overdue
                    excess[cid],
                    cid,
                )
                for cid in split
                if received[cid] + split[cid] < assigned[cid]
            )
            chosen = next((cid for *_, cid in ranked if transport.fix(cid, slot)), None)
            if chosen is None:  # unreachable, as in _sequence_hosts
                raise AssertionError("no feasible commune; the availability flow is inconsistent")
            split[chosen] += 1
        present_weight = sum(weights[c] for c in split)
        for cid in weights:
            received[cid] += split.get(cid, 0)
            fair = capacity * weights[cid] / present_weight if cid in split else Fraction(0)
            excess[cid] = split.get(cid, 0) - fair
        splits.append(split)
    return splits


def _tier(given: int, due: Fraction) -> int:
    """0 below floor(due), 1 below ceil(due), 2 beyond.

    Filling tier by tier keeps each slot's split at floor or ceil of what is due in it, unless
    the yearly totals force otherwise; within a tier the most overdue commune goes first.
    """
    if given < math.floor(due):
        return 0
    return 1 if given < math.ceil(due) else 2


# --------------------------------------------------------------------------------------------
# Explanations (Spanish)
# --------------------------------------------------------------------------------------------


def _number(value: Fraction | float) -> str:
    """Spanish-style number: decimal comma, at most two decimals, no trailing zeros."""
    text = f"{float(value):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text.replace(".", ",")


def _amount(value: Fraction | float, unit: tuple[str, str]) -> str:
    text = _number(value)
    return f"{text} {unit[0] if text in ('1', '-1') else unit[1]}"


def _month_list(months: Sequence[int]) -> str:
    names = [MONTH_NAMES[m - 1] for m in months]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " y " + names[-1]


def _explain(
    communes: Sequence[CommuneInput],
    slots: Sequence[SlotInput],
    entitlements: Mapping[int, _Entitlement],
    total: int,
    assigned: Mapping[int, int],
    *,
    unit: tuple[str, str],
) -> dict[int, CommuneExplanation]:
    explanations = {}
    # Comparing with the plan that ignores availability tells which deviations are rounding
    # (the same either way) and which are caused by unavailable months.
    by_rounding = _within_quota_ignoring_availability(entitlements, total)
    open_months = sorted({s.month for s in slots if not s.blocked})
    for c in communes:
        e = entitlements[c.id]
        got = assigned[c.id]
        reasons = []
        if e.carry <= -_NOTICEABLE:
            reasons.append(f"Arrastra déficit de {_amount(-e.carry, unit)} del año anterior")
        elif e.carry >= _NOTICEABLE:
            reasons.append(f"Arrastra superávit de {_amount(e.carry, unit)} del año anterior")
        rebalance = e.carry - e.carry_used  # how much the net carry raises its entitlement
        if abs(rebalance) >= _NOTICEABLE:
            reasons.append(
                "Los saldos del año anterior no suman cero: para cuadrar el total, su derecho "
                f"{'sube' if rebalance > 0 else 'baja'} {_amount(abs(rebalance), unit)}, en "
                "proporción a su peso"
            )
        if e.raw < 0:
            reasons.append(
                "Su superávit supera lo que le corresponde este año: su derecho queda en 0 y el "
                "resto del superávit pasa al próximo año"
            )
        elif e.raw - e.target >= _NOTICEABLE:
            reasons.append(
                f"Su derecho baja {_amount(e.raw - e.target, unit)} para absorber el superávit "
                "que otra comuna no alcanza a devolver este año"
            )
        missing = [m for m in open_months if m in c.unavailable_months]
        present = [m for m in open_months if m not in c.unavailable_months]
        if missing and not present:
            reasons.append("No disponible en ningún mes del año")
        elif len(missing) > len(present):  # the shorter list reads better
            reasons.append(f"Solo disponible en {_month_list(present)}")
        elif missing:
            reasons.append(f"No disponible en {_month_list(missing)}")
        gap = got - e.target
        if got < by_rounding[c.id]:
            # Only a commune whose available slots are all taken ends below that plan.
            reasons.append(
                f"Sus meses disponibles no dan para más: recibe {_amount(got, unit)} de los "
                f"{_number(e.target)} que le corresponden y el déficit pasa al próximo año"
            )
        elif got > by_rounding[c.id]:
            reasons.append(
                f"Recibe {_amount(got, unit)}, más de los {_number(e.target)} que le "
                "corresponden, porque otras comunas no estaban disponibles en algunos meses; el "
                "exceso se descuenta el próximo año"
            )
        elif gap <= -_NOTICEABLE:
            reasons.append(
                f"Recibe {_amount(got, unit)}, {_number(-gap)} menos de los "
                f"{_number(e.target)} que le corresponden, por redondeo; se le compensa el "
                "próximo año"
            )
        elif gap >= _NOTICEABLE:
            reasons.append(
                f"Recibe {_amount(got, unit)}, {_number(gap)} más de los {_number(e.target)} "
                "que le corresponden, por redondeo; se descuenta el próximo año"
            )
        explanations[c.id] = CommuneExplanation(
            commune_id=c.id,
            weight=c.weight,
            share=float(e.share),
            entitlement=float(e.target),
            assigned=got,
            carry_out=float(got - e.raw),
            reasons=reasons,
        )
    return explanations


def _explain_repeats(
    explanations: dict[int, CommuneExplanation],
    turn_slots: Sequence[SlotInput],
    order: Sequence[int],
    previous_host: int | None,
) -> None:
    """Adds a sentence for each pair of consecutive turns held by the same commune."""
    if order and order[0] == previous_host:
        explanations[order[0]].reasons.append(
            f"Su turno de {MONTH_NAMES[turn_slots[0].month - 1]} sigue a su último turno del año "
            "anterior, para cumplir las cuotas con la disponibilidad de cada comuna"
        )
    for k in range(1, len(order)):
        if order[k] == order[k - 1]:
            before, after = (MONTH_NAMES[turn_slots[i].month - 1] for i in (k - 1, k))
            explanations[order[k]].reasons.append(
                f"Turnos seguidos en {before} y {after}, para cumplir las cuotas con la "
                "disponibilidad de cada comuna"
            )


def _notes(communes: Sequence[CommuneInput], slots: Sequence[SlotInput]) -> list[str]:
    notes = []
    if not communes:
        notes.append("No hay comunas participantes: ningún mes se asigna")
    blocked = [s.month for s in slots if s.blocked]
    if blocked:
        notes.append(f"Sin asignación por bloqueo del centro comercial: {_month_list(blocked)}")
    vacant = [s.month for s in slots if not s.blocked and not _available_at(communes, s.month)]
    if vacant and communes:
        notes.append(f"Ninguna comuna disponible en {_month_list(vacant)}: el mes queda vacante")
    return notes
