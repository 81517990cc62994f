"""Turning audit events into sentences people can read (names instead of ids)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

ACTIONS = {
    "slot.create": _l("Semana creada"),
    "slot.move": _l("Semana movida"),
    "slot.plan": _l("Planificación aplicada"),
    "slot.allocate": _l("Comunas asignadas"),
    "slot.override": _l("Cambio manual de comunas"),
    "slot.swap": _l("Intercambio aplicado"),
    "slot.open_nominations": _l("Nominaciones abiertas"),
    "slot.close_nominations": _l("Nominaciones cerradas"),
    "slot.reopen_nominations": _l("Nominaciones reabiertas"),
    "slot.publish": _l("Semana publicada"),
    "slot.start": _l("Semana en curso"),
    "slot.complete": _l("Semana realizada"),
    "slot.cancel": _l("Semana cancelada"),
    "slot.restore": _l("Semana restaurada"),
    "swap.request": _l("Intercambio solicitado"),
    "swap.accept": _l("Intercambio aceptado"),
    "swap.approve": _l("Intercambio aprobado"),
    "swap.reject": _l("Intercambio rechazado"),
    "swap.withdraw": _l("Solicitud de intercambio retirada"),
    "nomination.promote": _l("Promovido desde la lista de espera"),
    "program.create": _l("Programa creado"),
    "program.extend": _l("Programa extendido"),
    "program.update": _l("Regla de la rotación cambiada"),
    "program.blackout": _l("Mes bloqueado"),
    "program.blackout_remove": _l("Bloqueo eliminado"),
    "commune.weight": _l("Peso de comuna cambiado"),
    "commune.unavailable": _l("Mes no disponible"),
    "commune.available": _l("Mes disponible otra vez"),
    "user.create": _l("Usuario creado"),
    "user.update": _l("Usuario editado"),
    "user.activate": _l("Usuario reactivado"),
    "user.deactivate": _l("Usuario desactivado"),
    "user.reset_password": _l("Contraseña restablecida"),
    "user.change_password": _l("Contraseña cambiada"),
    "stand.create": _l("Stand creado"),
    "stand.update": _l("Stand editado"),
    "stand.close": _l("Stand cerrado"),
    "stand.reopen": _l("Stand reabierto"),
}

_COMMUNE_KEYS = {"host", "commune_id"}


def action_label(action: str) -> str:
    return str(ACTIONS.get(action, action))


def describe(values: dict[str, Any] | None, communes: dict[int, str]) -> str:
    """{'host': 3, 'quotas': {'3': 24}} → 'host: Curacaví · quotas: Curacaví 24'."""
    if not values:
        return ""

    def name(value: Any) -> str:
        try:
            return communes.get(int(value), str(value))
        except (TypeError, ValueError):
            return str(value)

    parts = []
    for key, value in values.items():
        if key in _COMMUNE_KEYS and value is not None:
            text = name(value)
        elif isinstance(value, dict):
            text = ", ".join(f"{name(k)} {v}" for k, v in value.items()) or "—"
        elif value is None:
            text = "—"
        else:
            text = str(value)
        parts.append(f"{key}: {text}")
    return " · ".join(parts)
