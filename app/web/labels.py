"""User-facing names of domain values, translated; shared by pages, fragments and forms."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from app.domain import nomination_states, policy
from app.domain.slot_states import STATE_LABELS
from app.models import NominationState, OutboxState, Role, SlotState, SwapState, User

ROLE_LABELS = {
    Role.ADMIN: _l("Administrador"),
    Role.COORDINATOR: _l("Coordinador del mall"),
    Role.OFFICER: _l("Encargado comunal"),
    Role.VIEWER: _l("Observador (solo lectura)"),
}

SLOT_STATE_LABELS = STATE_LABELS  # owned by the slot life cycle

NOMINATION_STATE_LABELS = nomination_states.STATE_LABELS  # owned by the state machine


def role_label(user: User) -> str:
    return str(ROLE_LABELS[user.role])


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        role_label=role_label,
        # Who may do what, asked by templates as by views and the domain (app/domain/policy.py).
        runs_the_mall=policy.runs_the_mall,
        can_act_for_commune=policy.can_act_for_commune,
        can_edit_registry=policy.can_edit_registry,
        slot_state_label=lambda s: str(SLOT_STATE_LABELS[s]),
        nomination_state_label=lambda s: str(NOMINATION_STATE_LABELS[s]),
        # Templates compare states with the enums (and their named sets), never raw strings.
        OutboxState=OutboxState,
        NominationState=NominationState,
        SlotState=SlotState,
        SwapState=SwapState,
        nomination_state_help=nomination_states.STATE_HELP,
    )
