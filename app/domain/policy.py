"""Who may do what: each capability said once, here. Route decorators, domain functions and
templates ask these; none spells out roles by itself.

The province's rule of thumb: the mall (coordinators, and administrators who may do anything)
plans the weeks and decides on nominations; a commune's officer keeps that commune's registry
and lists, and sees no other commune's records (they are "not found" for them, not "forbidden",
so an officer cannot even learn they exist); the provincial board (viewers) reads.
"""

from __future__ import annotations

from app.domain.errors import NotAllowed, NotFound
from app.models import Role, User

# Coordinators and administrators: the rotation, the weeks' states, stands, programs, decisions
# on nominations, approving swaps. Route decorators take the same roles (@roles(*MALL)).
MALL = (Role.ADMIN, Role.COORDINATOR)


def runs_the_mall(user: User | None) -> bool:
    return user is not None and user.role in MALL


def is_officer_of(user: User | None, *commune_ids: int | None) -> bool:
    return user is not None and user.role is Role.OFFICER and user.commune_id in commune_ids


def can_act_for_commune(user: User | None, commune_id: int | None) -> bool:
    """Nominate, order, submit and withdraw a commune's list: its officer, or an administrator."""
    return user is not None and (user.role is Role.ADMIN or is_officer_of(user, commune_id))


def can_edit_registry(user: User | None, commune_id: int | None = None) -> bool:
    """Add, edit and import entrepreneurs: everyone but viewers; an officer only in their own
    commune (`commune_id` None: in some commune)."""
    if user is None or user.role is Role.VIEWER:
        return False
    if user.role is Role.OFFICER:
        return commune_id is None or user.commune_id == commune_id
    return True


def can_edit_unavailability(user: User | None, commune_id: int | None) -> bool:
    """Declare the months a commune cannot take: the mall, or that commune's officer."""
    return runs_the_mall(user) or is_officer_of(user, commune_id)


def commune_scope(user: User | None) -> int | None:
    """The one commune whose records this user sees (an officer's), or None: all of them.
    Lists filter by it; single records go through sees_commune."""
    if user is not None and user.role is Role.OFFICER:
        return user.commune_id
    return None


def sees_commune(user: User | None, commune_id: int | None) -> bool:
    """Whether a commune's records exist for this user: every commune's for the mall and the
    board, only their own for an officer."""
    return user is None or user.role is not Role.OFFICER or user.commune_id == commune_id


def require(allowed: bool, message: str) -> None:
    """Raises NotAllowed (403) with the message unless allowed."""
    if not allowed:
        raise NotAllowed(message)


def require_visible(user: User | None, commune_id: int | None, message: str) -> None:
    """Another commune's record is not found for an officer (404), never merely forbidden."""
    if not sees_commune(user, commune_id):
        raise NotFound(message)
