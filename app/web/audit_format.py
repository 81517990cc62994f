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
    "nomination.create": _l("Nominación creada"),
    "nomination.submit": _l("Nominación enviada"),
    "nomination.withdraw": _l("Nominación retirada"),
    "nomination.approve": _l("Nominación aprobada"),
    "nomination.reject": _l("Nominación rechazada"),
    "nomination.waitlist": _l("Nominación en espera"),
    "nomination.confirm": _l("Nominación confirmada"),
    "nomination.cancel": _l("Nominación cancelada"),
    "nomination.mark_attended": _l("Asistencia registrada"),
    "nomination.mark_no_show": _l("Inasistencia registrada"),
    "nomination.reorder": _l("Orden de la lista cambiado"),
    "nomination.to_reserve": _l("Pasado a la reserva"),
    "nomination.to_main": _l("Pasado a titulares"),
    "stand.assign": _l("Stand asignado"),
    "stand.release": _l("Stand liberado"),
    "roster.change": _l("Nómina publicada cambiada"),
    "entrepreneur.create": _l("Emprendedor registrado"),
    "entrepreneur.update": _l("Emprendedor editado"),
    "registry.import": _l("Importación del registro"),
    "category.create": _l("Categoría creada"),
    "category.update": _l("Categoría editada"),
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


def describe(
    values: dict[str, Any] | None,
    communes: dict[int, str],
    *,
    people: dict[int, str] | None = None,
) -> str:
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
        elif key == "caused_by" and people and value in people:
            text = people[value]
        elif isinstance(value, dict):
            text = ", ".join(f"{name(k)} {v}" for k, v in value.items()) or "—"
        elif value is None:
            text = "—"
        elif key == "state" and isinstance(value, str):
            text = _state_word(value)
        elif isinstance(value, bool):
            text = str(_l("sí") if value else _l("no"))
        else:
            text = str(value)
        parts.append(f"{field_label(key)}: {text}")
    return " · ".join(parts)


def _state_word(value: str) -> str:
    from app.domain import nomination_states
    from app.domain.slot_states import STATE_LABELS as SLOT_LABELS

    for labels in (nomination_states.STATE_LABELS, SLOT_LABELS):
        for state, label in labels.items():
            if getattr(state, "value", None) == value:
                return str(label)
    return value


# --- sentences: "Aprobó a Tejidos Ñandú, stand E-05" ---------------------------------------

_WITH_NAME = {
    "nomination.create": _l("Nominó a %(name)s"),
    "nomination.submit": _l("Envió a revisión a %(name)s"),
    "nomination.withdraw": _l("Retiró a %(name)s"),
    "nomination.approve": _l("Aprobó a %(name)s"),
    "nomination.reject": _l("Rechazó a %(name)s"),
    "nomination.waitlist": _l("Dejó en espera a %(name)s"),
    "nomination.confirm": _l("Confirmó a %(name)s"),
    "nomination.cancel": _l("Canceló la participación de %(name)s"),
    "nomination.promote": _l("%(name)s pasó de la lista de espera a aprobado"),
    "nomination.mark_attended": _l("Marcó que %(name)s asistió"),
    "nomination.mark_no_show": _l("Marcó que %(name)s no se presentó"),
    "nomination.reorder": _l("Cambió el lugar de %(name)s en la lista"),
    "nomination.to_reserve": _l("Pasó a %(name)s a la reserva"),
    "nomination.to_main": _l("Pasó a %(name)s a titulares"),
    "stand.assign": _l("Asignó un stand a %(name)s"),
    "stand.release": _l("Liberó el stand de %(name)s"),
    "entrepreneur.create": _l("Registró a %(name)s"),
    "entrepreneur.update": _l("Editó los datos de %(name)s"),
    "roster.change": _l("Cambió la nómina publicada: %(name)s"),
}

# Field names as people say them (audit "before → after" and the import preview).
FIELDS = {
    "business_name": _l("Nombre del negocio"),
    "owner_name": _l("Nombre del titular"),
    "rut": _l("RUT"),
    "email": _l("Correo"),
    "phone": _l("Teléfono"),
    "category": _l("Categoría"),
    "description": _l("Descripción"),
    "website": _l("Web o red social"),
    "needs_power": _l("Necesita electricidad"),
    "needs_table": _l("Necesita mesa"),
    "needs_food_handling": _l("Manipula alimentos"),
    "sanitary_resolution": _l("Resolución sanitaria"),
    "sanitary_expiry": _l("Vencimiento resolución"),
    "public_consent": _l("Acepta publicación"),
    "active": _l("Activo"),
    "notes": _l("Notas"),
    "state": _l("Estado"),
    "stand": _l("Stand"),
    "host": _l("Comuna anfitriona"),
    "quotas": _l("Stands por comuna"),
    "commune_id": _l("Comuna"),
    "caused_by": _l("Causado por"),
    "name": _l("Nombre"),
    "role": _l("Rol"),
    "starts_on": _l("Desde"),
    "ends_on": _l("Hasta"),
    "filename": _l("Archivo"),
    "created": _l("Nuevos"),
    "updated": _l("Actualizados"),
    "requires_food_permit": _l("Exige resolución sanitaria"),
}


def field_label(key: str) -> str:
    return str(FIELDS.get(key, key))


def sentence(entry) -> str:
    """An audit entry (app.domain.audit_log.Entry) in words, the entrepreneur named and the
    stand given: "Aprobó a Tejidos Ñandú, stand E-05"."""
    event = entry.event
    after = event.after or {}
    before = event.before or {}
    template = _WITH_NAME.get(event.action)
    if template is not None and entry.entrepreneur:
        text = str(template) % {"name": entry.entrepreneur}
    else:
        text = action_label(event.action)
    stand = entry.stand or (
        after.get("stand") if event.action in ("stand.assign", "stand.release") else None
    )
    stand = stand or (before.get("stand") if event.action == "stand.release" else None)
    if stand:
        text += ", " + str(_l("stand %(code)s", code=stand))
    if event.action == "registry.import":
        text = str(
            _l(
                "Importó «%(file)s»: %(created)s nuevos, %(updated)s actualizados",
                file=after.get("filename", ""),
                created=after.get("created", 0),
                updated=after.get("updated", 0),
            )
        )
    return text
