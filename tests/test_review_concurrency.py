"""Two coordinators at once can never double-book: threads, HTTP requests and (on PostgreSQL)
separate processes race for the last free stands; exactly the capacity wins, the rest get 409."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.domain import review
from app.domain.errors import Conflict
from app.extensions import db as _db
from app.models import Nomination, NominationState, StandAssignment
from tests.conftest import csrf_token, login
from tests.factories import make_nominations_world
from tests.test_review import submitted

WORKER = Path(__file__).with_name("concurrency_worker.py")


@pytest.fixture
def world(app, db):
    world = make_nominations_world(app, stands=10)
    people = submitted(world, 16)
    coordinator = world["users"]["coordinator"]
    for n in people[:7]:  # 7 of 10 stands taken: 3 left
        review.approve(n, by=coordinator)
    db.session.commit()
    world["waiting"] = [n.id for n in people[7:]]
    return world


def assert_invariants(slot_id: int, capacity: int = 10) -> None:
    _db.session.rollback()
    live = (
        _db.session.execute(
            select(StandAssignment).where(
                StandAssignment.slot_id == slot_id, StandAssignment.released_at.is_(None)
            )
        )
        .scalars()
        .all()
    )
    assert len(live) <= capacity
    assert len({a.stand_id for a in live}) == len(live)  # no stand twice
    assert len({a.nomination_id for a in live}) == len(live)  # nobody with two stands
    approved = (
        _db.session.execute(
            select(Nomination.id).where(
                Nomination.slot_id == slot_id, Nomination.state == NominationState.APPROVED
            )
        )
        .scalars()
        .all()
    )
    assert sorted(approved) == sorted(a.nomination_id for a in live)


def race(app, targets, action) -> list[str]:
    """Runs action(nomination_id) in one thread per target, all released at once."""
    results: list[str] = []
    barrier = threading.Barrier(len(targets))
    lock = threading.Lock()

    def run(target):
        with app.app_context():
            barrier.wait()
            try:
                action(target)
                _db.session.commit()
                outcome = "ok"
            except Conflict:
                _db.session.rollback()
                outcome = "conflict"
            except Exception as exc:  # noqa: BLE001 - reported in the assertion, not lost
                _db.session.rollback()
                outcome = f"error: {exc!r}"
            finally:
                _db.session.remove()
            with lock:
                results.append(outcome)

    # The test's own transaction must end first: on SQLite it holds the write lock.
    _db.session.rollback()
    threads = [threading.Thread(target=run, args=(t,)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


@pytest.mark.db
def test_many_simultaneous_approvals_fill_exactly_the_free_stands(app, world, backend):
    coordinator_id = world["users"]["coordinator"].id

    def approve(nomination_id):
        from app.models import User

        review.approve(
            _db.session.get(Nomination, nomination_id), by=_db.session.get(User, coordinator_id)
        )

    results = race(app, world["waiting"], approve)
    assert sorted(results) == ["conflict"] * 6 + ["ok"] * 3
    assert_invariants(world["slot"].id)


@pytest.mark.db
def test_two_coordinators_naming_the_same_stand_one_wins(app, world, backend):
    coordinator_id = world["users"]["coordinator"].id
    taken = {a.stand_id for a in review.live_assignments(world["slot"].id)}
    stand_id = next(s.id for s in world["venue"].stands if s.id not in taken)
    _db.session.rollback()

    def approve_on_stand(nomination_id):
        from app.models import Stand, User

        review.approve(
            _db.session.get(Nomination, nomination_id),
            by=_db.session.get(User, coordinator_id),
            stand=_db.session.get(Stand, stand_id),
        )

    results = race(app, world["waiting"][:6], approve_on_stand)
    assert sorted(results) == ["conflict"] * 5 + ["ok"]
    assert_invariants(world["slot"].id)


def test_simultaneous_http_approvals_answer_409_not_500(app, world):
    clients = []
    for _ in world["waiting"]:
        client = app.test_client()
        login(client, "coordinador@example.com")
        clients.append((client, csrf_token(client)))
    _db.session.rollback()
    statuses: list[int] = []
    barrier = threading.Barrier(len(clients))
    lock = threading.Lock()

    def post(args):
        (client, token), nomination_id = args
        barrier.wait()
        response = client.post(
            f"/nominations/{nomination_id}/approve",
            headers={"X-CSRFToken": token, "HX-Request": "true"},
        )
        with lock:
            statuses.append(response.status_code)

    threads = [
        threading.Thread(target=post, args=(pair,))
        for pair in zip(clients, world["waiting"], strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(statuses) == [200] * 3 + [409] * 6
    assert_invariants(world["slot"].id)


@pytest.mark.postgres_only
def test_two_app_processes_on_postgresql(app, world, backend, database_url):
    ids = world["waiting"]
    halves = [ids[0::2], ids[1::2]]
    _db.session.rollback()
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                str(WORKER),
                database_url,
                str(world["users"]["coordinator"].id),
                *map(str, half),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for half in halves
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
        results += json.loads(out.strip().splitlines()[-1])
    assert sorted(results) == ["conflict"] * 6 + ["ok"] * 3
    assert_invariants(world["slot"].id)
    count = _db.session.execute(
        select(func.count())
        .select_from(StandAssignment)
        .where(StandAssignment.released_at.is_(None))
    ).scalar_one()
    assert count == 10
