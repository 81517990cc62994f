"""Links, QR codes and feeds point at the server that runs: PUBLIC_BASE_URL follows PORT when
it is not set."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def configured(env: dict[str, str]) -> str:
    """Config.PUBLIC_BASE_URL as a fresh process with this environment reads it."""
    base = {"PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", "from app.config import Config; print(Config.PUBLIC_BASE_URL)"],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "http://127.0.0.1:5000"),
        ({"PORT": "8123"}, "http://127.0.0.1:8123"),
        (
            {"PORT": "8123", "PUBLIC_BASE_URL": "https://vitrina.example.cl/"},
            "https://vitrina.example.cl",
        ),
        ({"PORT": "no-es-un-puerto"}, "http://127.0.0.1:5000"),
    ],
)
def test_public_base_url_follows_port_when_not_set(env, expected):
    assert configured(env) == expected


def test_make_run_hands_its_port_to_the_server_and_the_worker():
    makefile = (ROOT / "Makefile").read_text()
    run = makefile.split("\nrun:")[1].split("\n\n")[0]
    assert "export PORT=$(PORT)" in run and "flask worker" in run
