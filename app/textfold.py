"""Text as search compares it: lowercase, without accents ("Peñuelas" → "penuelas").

The same Python function folds what is stored and what is typed, so a search matches alike on
SQLite and PostgreSQL (no database collation or extension is involved).
"""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Lowercase without accents: 'Artesanía' and 'artesania' match."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


def search_key(*parts: str | None) -> str:
    """The folded words of ``parts``, one space apart: what a registry search looks in."""
    return " ".join(" ".join(fold(p).split()) for p in parts if p and p.strip())[:1000]
