"""Programs go on: extending one into the next year, starting the next one with the balance."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from app.domain import fairness, programs, rotation
from app.domain.errors import Conflict, Invalid, NotAllowed
from app.models import AllocationMode, AuditEvent, Program, Slot, WeekRule
from tests.factories import make_program, make_program_world


@pytest.fixture
def world(app, db):
    return make_program_world(app)


def hosts(program: Program, year: int) -> list[int | None]:
    return [rotation.host_of(s) for s in program.slots if s.year == year]


def stands(program: Program, year: int) -> Counter:
    totals: Counter = Counter()
    for slot in (s for s in program.slots if s.year == year):
        for allocation in slot.allocations:
            totals[allocation.commune_id] += allocation.stands
    return totals


def count(model) -> int:
    return programs.db.session.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.mark.db
def test_extending_a_program_plans_the_next_year_with_the_balance_carried(world, db, backend):
    program = world["program"]
    change = programs.extend_program(program, until_year=2028, by=world["users"]["coordinator"])
    db.session.commit()
    assert program.ends_on == date(2028, 12, 31)
    assert change.years == [2028] and len(change.created) == 12
    assert None not in hosts(program, 2028)
    first, second = Counter(hosts(program, 2027)), Counter(hosts(program, 2028))
    assert sorted((first + second).values()) == [4, 5, 5, 5, 5]  # 24 turns: 4.8 each
    assert all(second[c] == 2 for c, n in first.items() if n == 3)  # the balance carried
    assert hosts(program, 2028)[0] != hosts(program, 2027)[-1]  # no turn twice in a row
    event = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "program.extend")
    ).scalar_one()
    assert event.before == {"ends_on": "2027-12-31"}
    assert event.after == {"ends_on": "2028-12-31", "weeks": 12}
    assert event.actor_id == world["users"]["coordinator"].id
    # Planning the new year again finds nothing to change.
    assert rotation.plan_year(program, 2028, by=None, apply=False).changes == []


@pytest.mark.db
def test_extension_refuses_shrinking_absurd_years_and_another_programs_years(world, db, backend):
    program = world["program"]
    coordinator = world["users"]["coordinator"]
    with pytest.raises(Invalid, match="no se acorta"):
        programs.extend_program(program, until_year=2026, by=coordinator)
    with pytest.raises(Invalid, match="ya cubre 2027"):
        programs.extend_program(program, until_year=2027, by=coordinator)
    with pytest.raises(Invalid, match="a lo más hasta 2031"):  # today is 2026
        programs.extend_program(program, until_year=2207, by=coordinator)
    later = programs.start_program(
        world["venue"],
        name="Vitrina 2029",
        starts_on=date(2029, 1, 1),
        ends_on=date(2029, 12, 31),
        by=coordinator,
    ).program
    db.session.commit()
    slots_before = count(Slot)
    with pytest.raises(Conflict, match="«Vitrina 2029» \\(2029\\)"):
        programs.extend_program(program, until_year=2029, by=coordinator)
    db.session.rollback()
    assert program.ends_on == date(2027, 12, 31) and count(Slot) == slots_before
    assert programs.extension_problem(program, 2028) is None  # the year between is free
    assert programs.extension_problem(later, 2030) is None


def test_only_coordinators_extend_or_start_programs(world, db):
    for role in ("officer", "viewer"):
        with pytest.raises(NotAllowed):
            programs.extend_program(world["program"], until_year=2028, by=world["users"][role])
        with pytest.raises(NotAllowed):
            programs.start_program(
                world["venue"],
                name="Vitrina 2028",
                starts_on=date(2028, 1, 1),
                ends_on=date(2028, 12, 31),
                by=world["users"][role],
            )
    programs.extend_program(world["program"], until_year=2028, by=world["users"]["admin"])


def test_a_program_that_ended_years_ago_is_followed_by_a_new_one(app, world, db):
    app.config["FIXED_NOW"] = datetime(2029, 3, 2, 15, 0, tzinfo=UTC)
    with pytest.raises(Conflict, match="terminó en 2027: para seguir, cree un programa nuevo"):
        programs.extend_program(world["program"], until_year=2029, by=None)


@pytest.mark.db
def test_a_new_program_copies_the_rule_and_carries_the_balance_on(world, db, backend):
    previous = world["program"]
    previous.week_rule = WeekRule.LAST_FULL_WEEK
    previous.nominations_close_days = 10
    previous.max_weeks_per_entrepreneur_year = 3
    db.session.commit()
    change = programs.start_program(
        world["venue"],
        name="  Vitrina 2028  ",
        starts_on=date(2028, 1, 1),
        ends_on=date(2028, 12, 31),
        by=world["users"]["coordinator"],
    )
    db.session.commit()
    program = change.program
    assert program.name == "Vitrina 2028"
    assert (program.mode, program.week_rule, program.week_rule_n) == (
        AllocationMode.HOST,
        WeekRule.LAST_FULL_WEEK,
        2,
    )
    assert (program.nominations_close_days, program.max_weeks_per_entrepreneur_year) == (10, 3)
    assert len(change.created) == 12
    january = program.slots[0]
    assert january.starts_on == date(2028, 1, 24)  # the last full week, as copied
    first, second = Counter(hosts(previous, 2027)), Counter(hosts(program, 2028))
    assert sorted((first + second).values()) == [4, 5, 5, 5, 5]
    assert all(second[c] == 2 for c, n in first.items() if n == 3)
    assert hosts(program, 2028)[0] != hosts(previous, 2027)[-1]
    preview = rotation.plan_year(program, 2028, by=None, apply=False)
    assert preview.inherited.program.id == previous.id and not preview.inherited.converted
    assert preview.carry_in == pytest.approx({c: n - 2.4 for c, n in first.items()})
    assert preview.changes == []
    event = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "program.create")
    ).scalar_one()
    assert event.after["copied_from"] == previous.id and event.after["week_rule"] == (
        "last_full_week"
    )


@pytest.mark.db
def test_fairness_goes_on_over_a_chain_of_programs(world, db, backend):
    coordinator = world["users"]["coordinator"]
    made = [world["program"]]
    for year in (2028, 2029):
        made.append(
            programs.start_program(
                world["venue"],
                name=f"Vitrina {year}",
                starts_on=date(year, 1, 1),
                ends_on=date(year, 12, 31),
                by=coordinator,
            ).program
        )
    db.session.commit()
    total = Counter()
    for program in made:
        total += Counter(hosts(program, program.starts_on.year))
    assert sorted(total.values()) == [7, 7, 7, 7, 8]  # 36 turns: 7.2 each


@pytest.mark.db
def test_a_shared_program_after_a_host_one_counts_its_turns_in_stands(world, db, backend):
    previous = world["program"]  # host mode: 12 weeks of 10 stands
    first = Counter(hosts(previous, 2027))
    change = programs.start_program(
        world["venue"],
        name="Vitrina 2028",
        starts_on=date(2028, 1, 1),
        ends_on=date(2028, 12, 31),
        by=None,
        mode=AllocationMode.SHARED,
    )
    db.session.commit()
    program = change.program
    preview = change.plans[0]
    assert preview.inherited.converted
    # 120 stands, 24 each: a commune that hosted three weeks had 30 (+6), two weeks 20 (−4).
    assert preview.carry_in == pytest.approx({c: 10 * n - 24 for c, n in first.items()})
    totals = stands(program, 2028)
    assert all(totals[c] == (18 if n == 3 else 28) for c, n in first.items())
    assert sorted((totals + Counter({c: 10 * n for c, n in first.items()})).values()) == [48] * 5


@pytest.mark.db
def test_a_host_program_after_a_shared_one_counts_each_week_as_one_turn(world, db, backend):
    coordinator = world["users"]["coordinator"]
    melipilla = world["communes"][0]
    shared = make_program(world["venue"], year=2028, mode=AllocationMode.SHARED)
    rotation.plan_year(shared, 2028, by=None, apply=True)
    # One week given wholly to Melipilla: 10 stands instead of 2, a whole turn instead of 0.2.
    rotation.override_quotas(
        shared.slots[4], {melipilla.id: 10}, by=coordinator, reason="Feria de Melipilla"
    )
    db.session.commit()
    change = programs.start_program(
        world["venue"],
        name="Vitrina 2029",
        starts_on=date(2029, 1, 1),
        ends_on=date(2029, 12, 31),
        copy_from=world["program"],  # the host program's rule, at the shared one's end
        by=coordinator,
    )
    db.session.commit()
    program = change.program
    assert program.mode is AllocationMode.HOST
    preview = change.plans[0]
    assert preview.inherited.program.id == shared.id and preview.inherited.converted
    # In turns: 2027's host turns, then each shared week as one turn split by its stands.
    earlier, shared_stands = Counter(hosts(world["program"], 2027)), stands(shared, 2028)
    assert shared_stands[melipilla.id] > 24  # the override shows in the balance
    assert preview.carry_in == pytest.approx(
        {c.id: earlier[c.id] + shared_stands[c.id] / 10 - 2 * 2.4 for c in world["communes"]}
    )
    # Over the three years (36 turns, 7.2 each), nobody ends more than one turn off.
    latest = Counter(hosts(program, 2029))
    for commune in world["communes"]:
        overall = earlier[commune.id] + shared_stands[commune.id] / 10 + latest[commune.id]
        assert abs(overall - 7.2) < 1


def test_the_fairness_table_says_what_the_previous_program_left(world, db):
    program = programs.start_program(
        world["venue"],
        name="Vitrina 2028–2029",
        starts_on=date(2028, 1, 1),
        ends_on=date(2029, 12, 31),
        by=None,
    ).program
    db.session.commit()
    communes = sorted(world["communes"], key=lambda c: c.id)
    first = rotation.plan_year(program, 2028, by=None, apply=False)
    assert fairness.carry_note(first) == (
        "El saldo anterior incluye el de «Vitrina 2027», el programa anterior de este mall: lo "
        "justo sigue de un programa al siguiente."
    )
    for row in fairness.report(first, communes):
        assert "Viene de «Vitrina 2027»." in row.reasons  # 2027 left everyone ±0.4 or 0.6
    # A year later the balance mixes both programs: the table says how much is the old one's.
    second = fairness.report(rotation.plan_year(program, 2029, by=None, apply=False), communes)
    reasons = [r for row in second for r in row.reasons]
    assert any(r.startswith("De ese saldo, ") and "vienen de «Vitrina 2027»" in r for r in reasons)
    assert (
        fairness.carry_note(rotation.plan_year(world["program"], 2027, by=None, apply=False))
        is None
    )


@pytest.mark.db
def test_two_coordinators_adding_the_same_years_at_once_one_wins(app, world, db, backend):
    from app.models import User, Venue

    program_id, venue_id = world["program"].id, world["venue"].id
    coordinator_id = world["users"]["coordinator"].id

    def act(what: str) -> None:
        by = db.session.get(User, coordinator_id)
        if what == "extend":
            programs.extend_program(db.session.get(Program, program_id), until_year=2028, by=by)
        else:
            programs.start_program(
                db.session.get(Venue, venue_id),
                name="Vitrina 2028",
                starts_on=date(2028, 1, 1),
                ends_on=date(2028, 12, 31),
                by=by,
            )

    results: list[str] = []
    barrier = threading.Barrier(4)

    def run(what: str) -> None:
        with app.app_context():
            barrier.wait()
            try:
                act(what)
                db.session.commit()
                results.append("ok")
            except (Conflict, Invalid):
                db.session.rollback()
                results.append("refused")
            except Exception as exc:  # noqa: BLE001 - reported in the assertion, not lost
                db.session.rollback()
                results.append(f"error: {exc!r}")
            finally:
                db.session.remove()

    db.session.rollback()  # on SQLite the test's own transaction would hold the write lock
    threads = [threading.Thread(target=run, args=(w,)) for w in ("extend", "new") * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(results) == ["ok", "refused", "refused", "refused"]
    covering = db.session.execute(
        select(func.count()).select_from(Slot).where(Slot.year == 2028)
    ).scalar_one()
    assert covering == 12  # 2028's weeks once, in whichever program won


def test_a_new_program_refuses_bad_names_years_and_taken_years(world, db):
    venue, coordinator = world["venue"], world["users"]["coordinator"]

    def start(**kw):
        values = dict(
            name="Vitrina 2028",
            starts_on=date(2028, 1, 1),
            ends_on=date(2028, 12, 31),
            by=coordinator,
        )
        values.update(kw)
        return programs.start_program(venue, **values)

    cases = [
        (dict(name="   "), Invalid, "name", "Indique el nombre"),
        (dict(name="x" * 121), Invalid, "name", "120 caracteres"),
        (dict(ends_on=date(2027, 12, 31)), Invalid, "ends_on", "terminar después de empezar"),
        (dict(starts_on=date(2025, 1, 1)), Invalid, "starts_on", "empieza desde 2026"),
        (dict(ends_on=date(2032, 12, 31)), Invalid, "ends_on", "a lo más hasta 2031"),
        (dict(starts_on=date(2027, 6, 1)), Conflict, "starts_on", "«Vitrina 2027» \\(2027\\)"),
        (dict(week_rule_n=9), Invalid, "week_rule_n", "entre 1 y 5"),
    ]
    programs_before, slots_before = count(Program), count(Slot)
    for kw, error, field, message in cases:
        with pytest.raises(error, match=message) as raised:
            start(**kw)
        assert raised.value.field == field
        db.session.rollback()
    assert (count(Program), count(Slot)) == (programs_before, slots_before)


def test_cli_extends_a_program_then_plans_and_starts_the_next(app, world, db):
    program_id = world["program"].id
    runner = app.test_cli_runner()
    extended = runner.invoke(
        args=["rotation", "extend", "--program", str(program_id)] + ["--year", "2028"]
    )
    assert extended.exit_code == 0, extended.output
    assert "cubre ahora 2027–2028: 12 semanas nuevas en 2028" in extended.output
    plan = runner.invoke(args=["rotation", "plan", "--program", str(program_id), "--year", "2028"])
    assert plan.exit_code == 0, plan.output
    assert "0 semanas cambiarían" in plan.output and "diciembre" in plan.output
    again = runner.invoke(
        args=["rotation", "extend", "--program", str(program_id), "--year", "2028"]
    )
    assert again.exit_code == 1 and "ya cubre 2028" in again.output
    new = runner.invoke(
        args=["rotation", "new-program", "--name", "Vitrina 2029–2030", "--year", "2029"]
        + ["--until", "2030", "--from-program", str(program_id), "--mode", "shared"]
    )
    assert new.exit_code == 0, new.output
    assert "24 semanas nuevas en 2029–2030, ya planificadas" in new.output
    db.session.expire_all()
    created = db.session.execute(select(Program).where(Program.id != program_id)).scalar_one()
    assert (created.starts_on, created.ends_on) == (date(2029, 1, 1), date(2030, 12, 31))
    assert created.mode is AllocationMode.SHARED
    shared_plan = runner.invoke(
        args=["rotation", "plan", "--program", str(created.id), "--year", "2029"]
    )
    assert shared_plan.exit_code == 0, shared_plan.output
    assert "«Vitrina 2027»" in shared_plan.output  # the balance it carries, and from where
    taken = runner.invoke(args=["rotation", "new-program", "--name", "Otra", "--year", "2030"])
    assert taken.exit_code == 1 and "«Vitrina 2029–2030» (2029–2030)" in taken.output
