"""entrepreneur search text (accent- and case-free search alike on SQLite and PostgreSQL) and
the user's previous sign-in (the home page says what changed since then)

Revision ID: 0014
Revises: 0011
Create Date: 2026-12-04 17:00:00
"""

import sqlalchemy as sa
from alembic import op

from app.textfold import search_key

revision = "0014"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("entrepreneur", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_text", sa.Text(), server_default="", nullable=False))
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("previous_login_at", sa.DateTime(timezone=True), nullable=True))
    # The same Python fold the app writes with, so old rows match new searches exactly.
    bind = op.get_bind()
    table = sa.table(
        "entrepreneur",
        sa.column("id", sa.Integer),
        sa.column("business_name", sa.String),
        sa.column("owner_name", sa.String),
        sa.column("email", sa.String),
        sa.column("search_text", sa.Text),
    )
    rows = bind.execute(
        sa.select(table.c.id, table.c.business_name, table.c.owner_name, table.c.email)
    ).all()
    updates = [
        {"row_id": row_id, "text": search_key(business, owner, email)}
        for row_id, business, owner, email in rows
    ]
    if updates:
        bind.execute(
            table.update()
            .where(table.c.id == sa.bindparam("row_id"))
            .values(search_text=sa.bindparam("text")),
            updates,
        )


def downgrade():
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("previous_login_at")
    with op.batch_alter_table("entrepreneur", schema=None) as batch_op:
        batch_op.drop_column("search_text")
