"""A separate app process for the concurrency test: approves the given nominations, each in its
own thread and transaction, and prints the outcomes as JSON."""

import json
import sys
import threading

from app import create_app
from app.config import TestConfig
from app.domain import review
from app.domain.errors import Conflict
from app.extensions import db
from app.models import Nomination, User


def main() -> None:
    url, coordinator_id, *ids = sys.argv[1:]

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = url
        SECRET_KEY = "worker"

    app = create_app(Config)
    results: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(ids))

    def run(nomination_id: str) -> None:
        with app.app_context():
            barrier.wait()
            try:
                review.approve(
                    db.session.get(Nomination, int(nomination_id)),
                    by=db.session.get(User, int(coordinator_id)),
                )
                db.session.commit()
                outcome = "ok"
            except Conflict:
                db.session.rollback()
                outcome = "conflict"
            with lock:
                results.append(outcome)

    threads = [threading.Thread(target=run, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(json.dumps(results))


if __name__ == "__main__":
    main()
