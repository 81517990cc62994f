"""The process's caches: all declared in app/caches.py, bounded, per app, and following its
rules (keyed by the data version, re-read after a lifetime, or keyed by settings)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from app import caches, create_app
from app.config import TestConfig

APP = Path(__file__).resolve().parents[1] / "app"

# Memoised pure functions of their arguments: nothing the data or another process can change.
PURE_MEMOS = {
    ("calendars/builder.py", "css_color_name"),  # a colour's nearest CSS name
    ("domain/closures.py", "_national"),  # a year's national holidays (the holidays package)
    ("domain/text_limits.py", "_limited"),  # a mapped class's column lengths
    ("security.py", "_user_statement"),  # a statement object, built once
}
# Module-level collections that are registries filled at import, not caches.
REGISTRIES = {
    ("domain/transitions.py", "_MACHINES"),  # each stateful model's state machine
    ("domain/transitions.py", "_LISTENERS"),  # who hears a transition
    ("domain/audit.py", "_listeners"),  # who hears an audit event
    ("domain/csv_import.py", "_HEADER_INDEX"),  # column names, filled by a loop at import
}
# Where the clock measures something other than a cache's age.
MONOTONIC_ELSEWHERE = {"database.py"}  # how long a pooled connection has been idle


def _decorator_name(node: ast.expr) -> str:
    target = node.func if isinstance(node, ast.Call) else node
    if isinstance(target, ast.Attribute):
        return target.attr
    return target.id if isinstance(target, ast.Name) else ""


def test_every_process_local_cache_is_declared_in_the_cache_module():
    found = []
    for path in sorted(APP.rglob("*.py")):
        name = str(path.relative_to(APP))
        if name == "caches.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:  # an empty dict, list or set the module fills as it runs
            value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
            empty = (
                (isinstance(value, ast.Dict) and not value.keys)
                or (isinstance(value, ast.List | ast.Set) and not value.elts)
                or (
                    isinstance(value, ast.Call)
                    and _decorator_name(value) in ("dict", "list", "set")
                    and not value.args
                    and not value.keywords
                )
            )
            if empty:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name) and (name, target.id) not in REGISTRIES:
                        found.append(f"{name}: module-level {target.id}")
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id == "OrderedDict":
                found.append(f"{name}: OrderedDict")
            if isinstance(node, ast.Attribute) and node.attr == "extensions":
                found.append(f"{name}: app.extensions")
            if isinstance(node, ast.Name) and node.id == "monotonic":
                if name not in MONOTONIC_ELSEWHERE:
                    found.append(f"{name}: monotonic")
            if isinstance(node, ast.FunctionDef):
                memo = any(
                    _decorator_name(d) in ("cache", "lru_cache", "cached_property")
                    for d in node.decorator_list
                )
                if memo and (name, node.name) not in PURE_MEMOS:
                    found.append(f"{name}: memoised {node.name}")
    assert found == []


def test_each_cache_has_its_own_name():
    names = [cache.name for cache in caches.ALL]
    assert len(names) == len(set(names))
    declared = {
        value for value in vars(caches).values() if isinstance(value, caches.Lru | caches.Recent)
    }
    assert declared == set(caches.ALL)


@pytest.fixture
def two_apps():
    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = "sqlite://"
        SECRET_KEY = "test-secret"
        FEED_VERSION_TTL = 30

    return create_app(Config), create_app(Config)


def test_an_lru_cache_is_bounded_and_drops_the_least_recently_used(two_apps):
    cache = caches.Lru("test_bounded", 3)
    with two_apps[0].app_context():
        for key in "abc":
            cache.put(key, key.upper())
        assert cache.get("a") == "A"  # now the most recently used
        cache.put("d", "D")
        assert len(cache) == 3
        assert cache.get("b") is None  # the least recently used went
        assert [cache.get(k) for k in "acd"] == ["A", "C", "D"]


def test_an_lru_cache_builds_a_missing_entry_once(two_apps):
    cache = caches.Lru("test_build", 4)
    built = []
    with two_apps[0].app_context():
        for _ in range(3):
            value = cache.get_or_build("k", lambda: built.append(1) or "value")
        assert value == "value"
        assert built == [1]
        # A falsy value is a value, not a miss.
        assert cache.get_or_build("zero", lambda: 0) == 0
        assert cache.get_or_build("zero", lambda: 1) == 0


def test_each_app_has_its_own_caches(two_apps):
    first, second = two_apps
    with first.app_context():
        caches.PAGES.put("page", b"first")
    with second.app_context():
        assert caches.PAGES.get("page") is None
    with first.app_context():
        assert caches.PAGES.get("page") == b"first"
        caches.clear_all()
        assert caches.PAGES.get("page") is None


def test_a_recent_value_is_read_again_after_its_lifetime_or_when_forgotten(two_apps, monkeypatch):
    app = two_apps[0]
    now = [1000.0]
    monkeypatch.setattr(caches, "monotonic", lambda: now[0])
    reads = []

    def read():
        reads.append(now[0])
        return len(reads)

    with app.app_context():
        assert caches.DATA_VERSION.get(read) == 1
        now[0] += 29  # FEED_VERSION_TTL is 30 here
        assert caches.DATA_VERSION.get(read) == 1
        now[0] += 2
        assert caches.DATA_VERSION.get(read) == 2
        caches.DATA_VERSION.forget()
        assert caches.DATA_VERSION.get(read) == 3
        assert len(reads) == 3


def test_a_lifetime_of_zero_reads_every_time(two_apps):
    app = two_apps[0]
    app.config["FEED_VERSION_TTL"] = 0
    reads = []
    with app.app_context():
        for _ in range(3):
            caches.DATA_VERSION.get(lambda: reads.append(1))
    assert len(reads) == 3


def test_forgetting_outside_an_app_is_harmless():
    caches.NEXT_DUE.forget()  # a script's session writing a week, with no app around


def test_the_coroutine_check_keeps_no_function_alive(two_apps):
    import gc
    import weakref

    app = two_apps[0]

    def made_per_request():
        return None

    assert app.ensure_sync(made_per_request) is made_per_request
    gone = weakref.ref(made_per_request)
    del made_per_request
    gc.collect()
    assert gone() is None
