"""The domain is the app's rules, free of the web: it reads no request, no session and no app
settings (those reach it through app/security.py and the arguments it is given)."""

from __future__ import annotations

import ast
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[2] / "app" / "domain"
# Each exception would say why it is still here; there are none (the process's caches, which
# read the app's settings, live in app/caches.py).
ALLOWED: set[tuple[str, str]] = set()
FORBIDDEN = {"current_app", "request", "session", "g", "current_user"}


def test_the_domain_reads_no_request_session_or_app_settings():
    found = []
    for path in sorted(DOMAIN.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module in ("flask", "flask_login"):
                for alias in node.names:
                    if alias.name in FORBIDDEN and (path.name, alias.name) not in ALLOWED:
                        found.append(f"{path.name}: {alias.name}")
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("app.web"):
                found.append(f"{path.name}: imports {node.module}")
    assert found == []
