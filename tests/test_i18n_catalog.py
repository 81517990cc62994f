"""Spanish is the source language; every text the app can show has its English translation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "app" / "translations" / "en" / "LC_MESSAGES" / "messages.po"


def _translated(message) -> bool:
    strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
    return not message.fuzzy and all(strings)


def test_every_spanish_text_in_the_code_and_templates_has_an_english_translation(tmp_path):
    template = tmp_path / "messages.pot"
    pybabel = Path(sys.executable).parent / "pybabel"
    subprocess.run(
        [pybabel, "extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext"]
        + ["--no-location", "-o", str(template), "."],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with template.open("rb") as source:
        wanted = [m.id for m in read_po(source) if m.id]
    with CATALOG.open("rb") as source:
        english = read_po(source)
    assert len(wanted) > 500  # the extraction found the texts (babel.cfg: app/, templates/)
    missing = [
        msgid for msgid in wanted if english.get(msgid) is None or not _translated(english[msgid])
    ]
    assert not missing, f"untranslated (add them to {CATALOG.relative_to(ROOT)}): {missing}"
