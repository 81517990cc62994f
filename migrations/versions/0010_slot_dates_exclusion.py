"""slot dates exclusion: two live weeks of one program never share a day (PostgreSQL)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 16:00:00

SQLite has no exclusion constraints: there the rule is the domain's alone.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

NAME = "ex_slot_program_dates_overlap"


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    # Trusted extension: the database owner may create it. In `public`, so every schema sees it.
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public")
    clashes = bind.execute(
        sa.text(
            "SELECT a.id, a.starts_on, a.ends_on, b.id, b.starts_on, b.ends_on "
            "FROM slot a JOIN slot b ON a.program_id = b.program_id AND a.id < b.id "
            "WHERE a.state <> 'cancelled' AND b.state <> 'cancelled' "
            "AND a.starts_on <= b.ends_on AND b.starts_on <= a.ends_on ORDER BY a.id, b.id"
        )
    ).all()
    if clashes:
        listed = "; ".join(f"slot {r[0]} ({r[1]}–{r[2]}) and {r[3]} ({r[4]}–{r[5]})" for r in clashes)
        raise RuntimeError(
            f"Weeks of one program overlap: {listed}. Move or cancel one of each pair, then "
            "upgrade again."
        )
    # As the model declares it (create_exclude_constraint cannot take an expression element).
    op.execute(
        f"ALTER TABLE slot ADD CONSTRAINT {NAME} EXCLUDE USING gist "
        "(program_id WITH =, daterange(starts_on, ends_on, '[]') WITH &&) "
        "WHERE (state <> 'cancelled') DEFERRABLE INITIALLY IMMEDIATE"
    )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    # The extension stays: other objects may use it, and it costs nothing unused.
    op.execute(f"ALTER TABLE slot DROP CONSTRAINT {NAME}")
