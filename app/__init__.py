"""Vitrina: the Flask application factory."""

from __future__ import annotations

import inspect
import logging
import weakref
from collections.abc import Callable
from typing import Any

from flask import Flask

from app.config import DEFAULT_SECRET, config_from_env


class Vitrina(Flask):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Whether a function is a coroutine function, by the function (a bound method by its
        # function), held weakly: a function made per request (after_this_request) or an app's
        # closures are not kept alive by this note.
        self._coroutine_functions: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def ensure_sync(self, func: Callable) -> Callable:
        # Flask asks `inspect` whether each hook and view is a coroutine function every time it
        # calls one: eleven times for a request that does nothing, about a tenth of what a
        # cached page costs. A function's nature does not change; it is asked once.
        target = getattr(func, "__func__", func)
        try:
            coroutine = self._coroutine_functions.get(target)
            if coroutine is None:
                coroutine = self._coroutine_functions[target] = inspect.iscoroutinefunction(func)
        except TypeError:  # not weakly referable: asked every time, as Flask does
            coroutine = inspect.iscoroutinefunction(func)
        return self.async_to_sync(func) if coroutine else func


def create_app(config: dict[str, Any] | type | None = None) -> Flask:
    app = Vitrina(__name__, template_folder="../templates", static_folder="../static")
    app.config.from_object(config_from_env())
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)

    if app.config["ENV_NAME"] == "production" and app.config["SECRET_KEY"] in (
        DEFAULT_SECRET,
        "",
        None,
    ):
        raise RuntimeError("SECRET_KEY must be set from the environment in production")

    from app import database, i18n, security

    # Imported for the flush listeners they register: the data version and text lengths.
    from app.domain import changes, text_limits  # noqa: F401
    from app.extensions import csrf, db, limiter, login_manager, migrate
    from app.notifications import rules  # noqa: F401 - registers who is told what

    db.init_app(app)
    database.configure(app)
    migrate.init_app(app, db, directory=str(_migrations_dir()), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    login_manager.init_app(app)

    from app.web import register_blueprints

    register_blueprints(app)

    from app import hooks

    hooks.trim(app)  # once every route, hook and limit is known

    from app.cli import register_cli

    register_cli(app)

    if not app.debug and not app.testing:
        logging.basicConfig(level=logging.INFO)
    return app


def _migrations_dir():
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "migrations"
