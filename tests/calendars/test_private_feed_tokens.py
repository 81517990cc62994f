"""Private feeds by token: a regenerated token is a new feed, and many calendar apps fetching
at once never meet a locked database."""

from __future__ import annotations

import threading

import pytest

from app.models import Entrepreneur
from tests.calendars.conftest import feed_token


def unfolded(data: bytes) -> bytes:
    return data.replace(b"\r\n ", b"")  # iCalendar folds long lines


def test_a_regenerated_token_never_gets_the_revoked_feeds_body(client, province):
    coordinator = province["users"]["coordinator"]
    old = feed_token(user=coordinator)
    first = client.get(f"/calendar/private/{old}.ics")
    assert first.status_code == 200 and old.encode() in unfolded(first.data)

    new = feed_token(user=coordinator)  # revokes the old one; no schedule data changed
    assert client.get(f"/calendar/private/{old}.ics").status_code == 404
    fresh = client.get(f"/calendar/private/{new}.ics")
    assert fresh.status_code == 200
    assert new.encode() in unfolded(fresh.data) and old.encode() not in unfolded(fresh.data)
    assert fresh.headers["ETag"] != first.headers["ETag"]


@pytest.mark.db
def test_many_private_feeds_fetched_at_once_all_answer(app, db, province, backend):
    people = db.session.query(Entrepreneur).limit(4).all()
    urls = [f"/calendar/private/{feed_token(user=u)}.ics" for u in province["users"].values()]
    urls += [f"/calendar/private/{feed_token(entrepreneur=p)}.ics" for p in people]
    statuses: list[int] = []
    barrier = threading.Barrier(len(urls))

    def fetch(url: str) -> None:
        client = app.test_client()
        barrier.wait()
        statuses.append(client.get(url).status_code)

    threads = [threading.Thread(target=fetch, args=(u,)) for u in urls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * len(urls)
