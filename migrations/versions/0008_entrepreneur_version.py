"""entrepreneur version (edits refuse to overwrite a newer save)

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-04 14:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("entrepreneur", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))


def downgrade():
    with op.batch_alter_table("entrepreneur", schema=None) as batch_op:
        batch_op.drop_column("version")
