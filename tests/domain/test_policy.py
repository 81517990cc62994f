"""Who may do what, once (app/domain/policy.py): each capability for each role, as the pages,
the domain and the templates ask it."""

from __future__ import annotations

import pytest

from app.domain import policy
from app.domain.errors import NotAllowed, NotFound
from app.models import Role, User

OWN, OTHER = 1, 2


def user(role: Role) -> User:
    return User(role=role, commune_id=OWN if role is Role.OFFICER else None)


# role -> (runs_the_mall, acts for own commune, acts for another, edits own registry,
#          edits another's, edits own unavailability, sees another commune, scope)
TABLE = {
    Role.ADMIN: (True, True, True, True, True, True, True, None),
    Role.COORDINATOR: (True, False, False, True, True, True, True, None),
    Role.OFFICER: (False, True, False, True, False, True, False, OWN),
    Role.VIEWER: (False, False, False, False, False, False, True, None),
}


@pytest.mark.parametrize("role", list(TABLE))
def test_each_role_may_do_what_the_province_agreed(role):
    u = user(role)
    assert (
        policy.runs_the_mall(u),
        policy.can_act_for_commune(u, OWN),
        policy.can_act_for_commune(u, OTHER),
        policy.can_edit_registry(u, OWN),
        policy.can_edit_registry(u, OTHER),
        policy.can_edit_unavailability(u, OWN),
        policy.sees_commune(u, OTHER),
        policy.commune_scope(u),
    ) == TABLE[role]


def test_nobody_signed_in_may_do_anything():
    assert not policy.runs_the_mall(None)
    assert not policy.can_act_for_commune(None, OWN)
    assert not policy.can_edit_registry(None)
    assert not policy.can_edit_unavailability(None, OWN)


def test_another_communes_record_is_not_found_for_an_officer_but_forbidden_for_others():
    with pytest.raises(NotFound):
        policy.require_visible(user(Role.OFFICER), OTHER, "no existe")
    policy.require_visible(user(Role.OFFICER), OWN, "no existe")
    policy.require_visible(user(Role.VIEWER), OTHER, "no existe")
    with pytest.raises(NotAllowed, match="solo el mall"):
        policy.require(policy.runs_the_mall(user(Role.VIEWER)), "solo el mall")


def test_the_mall_routes_take_the_policys_roles():
    assert set(policy.MALL) == {r for r in Role if policy.runs_the_mall(user(r))}
