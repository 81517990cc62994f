"""Flask CLI commands: `flask users ...`, `flask demo ...` and `flask rotation ...`."""

from __future__ import annotations

import click
from flask import Flask, current_app
from sqlalchemy import select

from app.domain import accounts
from app.domain.errors import DomainError
from app.extensions import db
from app.models import Commune, Role


def register_cli(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(rotation_cli)

    from app.notifications.worker import worker_command

    app.cli.add_command(worker_command)


@click.group("users", help="Cuentas de usuario.")
def users_cli() -> None:
    pass


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--commune", help="Slug o código INE de la comuna (encargados comunales).")
@click.option("--name", help="Nombre; por defecto, la parte local del correo.")
@click.option("--password", help="Contraseña; si se omite, se genera y se muestra una vez.")
def users_create(
    email: str, role: str, commune: str | None, name: str | None, password: str | None
) -> None:
    """Creates a user and prints the initial password when generated."""
    found = None
    if commune:
        found = db.session.execute(
            select(Commune).where((Commune.slug == commune) | (Commune.ine_code == commune))
        ).scalar_one_or_none()
        if found is None:
            raise click.ClickException(f"No existe la comuna «{commune}».")
    try:
        user, initial = accounts.create_user(
            email=email,
            name=name or email.split("@")[0],
            role=Role(role),
            commune=found,
            password=password,
            by=None,
        )
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(f"Usuario {user.email} creado con rol {user.role.value}.")
    if password is None:
        click.echo(f"Contraseña inicial (debe cambiarse al entrar): {initial}")


@click.group("demo", help="Datos de demostración.")
def demo_cli() -> None:
    pass


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="No hacer nada (sin error) si ya hay datos.")
def demo_load(if_empty: bool) -> None:
    """Fills an empty database with Mall Espacio Urbano and the five communes."""
    from app.demo.loader import DemoRefused, load_demo

    if current_app.config["ENV_NAME"] == "production":
        raise click.ClickException("Los datos de demostración no se cargan en producción.")
    try:
        summary = load_demo()
    except DemoRefused as exc:
        if if_empty:
            click.echo("La base de datos ya tiene datos; no se cargó la demostración.")
            return
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(summary)


@demo_cli.command("logins")
def demo_logins() -> None:
    """Prints the demo accounts."""
    from app.demo.loader import DEMO_PASSWORD, demo_accounts

    click.echo("")
    click.echo(f"Vitrina — cuentas de demostración (contraseña: {DEMO_PASSWORD})")
    for email, label in demo_accounts():
        click.echo(f"  {email:<28} {label}")
    click.echo("")


@click.group("rotation", help="Rotación de semanas entre comunas.")
def rotation_cli() -> None:
    pass


# Why a re-plan leaves a week's commune as it is (rotation.plan_year's lock reasons).
KEPT_BY_PLAN = {
    "state": "(se mantiene: en curso)",
    "nominations": "(se mantiene: con nominados)",
    "swap": "(se mantiene: intercambio aprobado)",
}


@rotation_cli.command("plan")
@click.option("--program", "program_id", type=int, required=True, help="ID del programa.")
@click.option("--year", type=int, required=True)
@click.option("--apply", "apply_", is_flag=True, help="Aplicar el plan (sin esto solo se muestra).")
def rotation_plan(program_id: int, year: int, apply_: bool) -> None:
    """Prints the fair plan for a year as a table; applies it only with --apply."""
    from app.domain import fairness, rotation
    from app.domain.rotation_planner import MONTH_NAMES
    from app.models import Program

    program = db.session.get(Program, program_id)
    if program is None:
        raise click.ClickException(f"No existe el programa {program_id}.")
    if not program.starts_on.year <= year <= program.ends_on.year:
        raise click.ClickException(
            f"El programa cubre {program.starts_on.year}–{program.ends_on.year}, no {year}."
        )
    preview = rotation.plan_year(program, year, by=None, apply=apply_)
    communes = {c.id: c for c in db.session.execute(select(Commune)).scalars()}
    note = fairness.carry_note(preview)
    changed = {change.slot.id: change for change in preview.changes}
    click.echo(f"{program.name} · {year} · {preview.plan.method}")
    click.echo(f"{'Mes':<11} {'Semana':<25} {'Ahora':<28} {'Plan':<28}")
    for slot in preview.slots:

        def names(quotas: dict[int, int]) -> str:
            return ", ".join(f"{communes[c].name} {n}" for c, n in quotas.items()) or "—"

        now = {a.commune_id: a.stands for a in slot.allocations}
        change = changed.get(slot.id)
        planned = names(change.after) if change else "(sin cambio)"
        if slot.id in preview.locked:
            planned = KEPT_BY_PLAN[preview.locked[slot.id]]
        if change and apply_:
            now = change.before
        week = f"{slot.starts_on:%d-%m} al {slot.ends_on:%d-%m-%Y}"
        click.echo(f"{MONTH_NAMES[slot.month - 1]:<11} {week:<25} {names(now):<28} {planned:<28}")
    click.echo("")
    if note:
        click.echo(note)
    click.echo(f"{'Comuna':<14} {'Le corresponde':>15} {'Asignado':>9}")
    for row in fairness.report(preview, sorted(communes.values(), key=lambda c: c.id)):
        click.echo(f"{row.commune.name:<14} {row.entitled:>15.2f} {row.planned:>9d}")
    if apply_:
        db.session.commit()
        click.echo(f"Aplicado: {len(preview.changes)} semanas cambiaron.")
    else:
        db.session.rollback()
        click.echo(f"{len(preview.changes)} semanas cambiarían. Use --apply para aplicar.")


def _program_summary(change) -> str:
    years = change.years
    span = f"{years[0]}" if len(years) == 1 else f"{years[0]}–{years[-1]}"
    return (
        f"{len(change.created)} semanas nuevas en {span}, ya planificadas. "
        f"Vea el plan: flask rotation plan --program {change.program.id} --year {years[0]}"
    )


@rotation_cli.command("extend")
@click.option("--program", "program_id", type=int, required=True, help="ID del programa.")
@click.option(
    "--year",
    type=click.IntRange(2000, 2100),
    required=True,
    help="Último año que cubrirá el programa (hasta el 31 de diciembre).",
)
def rotation_extend(program_id: int, year: int) -> None:
    """Extends a program to the end of YEAR, generating and planning the new weeks.

    The new years carry on the communes' balance from the program's earlier years.
    """
    from app.domain import programs
    from app.models import Program

    program = db.session.get(Program, program_id)
    if program is None:
        raise click.ClickException(f"No existe el programa {program_id}.")
    try:
        change = programs.extend_program(program, until_year=year, by=None)
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(
        f"«{program.name}» cubre ahora {program.starts_on.year}–{program.ends_on.year}: "
        + _program_summary(change)
    )


@rotation_cli.command("new-program")
@click.option("--name", required=True, help="Nombre del programa, p. ej. «Vitrina 2029».")
@click.option("--year", type=click.IntRange(2000, 2100), required=True, help="Primer año.")
@click.option(
    "--until", type=click.IntRange(2000, 2100), help="Último año (por defecto, el mismo --year)."
)
@click.option(
    "--from-program",
    "from_program",
    type=int,
    help="ID del programa cuyas reglas se copian (por defecto, el anterior del mismo mall).",
)
@click.option("--venue", help="Slug del mall (por defecto, el del programa copiado o el único).")
@click.option(
    "--mode",
    type=click.Choice(["host", "shared"]),
    help="Reparto: host (una comuna por semana) o shared (cupos); por defecto, el copiado.",
)
def rotation_new_program(
    name: str,
    year: int,
    until: int | None,
    from_program: int | None,
    venue: str | None,
    mode: str | None,
) -> None:
    """Starts a program covering YEAR (to UNTIL), generating and planning its weeks.

    Its rule is copied from --from-program (else the venue's previous program); its first year
    carries on the communes' balance from the venue's previous program.
    """
    from datetime import date

    from app.domain import programs
    from app.models import AllocationMode, Program, Venue

    source = None
    if from_program is not None:
        source = db.session.get(Program, from_program)
        if source is None:
            raise click.ClickException(f"No existe el programa {from_program}.")
    if venue:
        place = db.session.execute(select(Venue).where(Venue.slug == venue)).scalar_one_or_none()
        if place is None:
            raise click.ClickException(f"No existe el mall «{venue}».")
    elif source is not None:
        place = source.venue
    else:
        venues = db.session.execute(select(Venue).limit(2)).scalars().all()
        if len(venues) != 1:
            raise click.ClickException("Indique el mall con --venue.")
        place = venues[0]
    try:
        change = programs.start_program(
            place,
            name=name,
            starts_on=date(year, 1, 1),
            ends_on=date(until or year, 12, 31),
            copy_from=source,
            by=None,
            mode=AllocationMode(mode) if mode else None,
        )
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    program = change.program
    click.echo(f"Programa {program.id} «{program.name}» creado: " + _program_summary(change))


@rotation_cli.command("advance")
def rotation_advance() -> None:
    """Moves slots along by date (for cron: deadlines, start and end of weeks)."""
    from app.domain import slot_states

    moved = slot_states.advance_by_date()
    db.session.commit()
    click.echo(f"{len(moved)} cambios de estado.")


@demo_cli.command("generate")
@click.option("--scale", type=int, default=1, show_default=True, help="Veces la provincia.")
def demo_generate(scale: int) -> None:
    """Fills an empty database with N times the province (benchmarks, query budgets)."""
    import time

    from app.demo.generate import generate
    from app.demo.loader import DemoRefused

    if current_app.config["ENV_NAME"] == "production":
        raise click.ClickException("Los datos generados no se cargan en producción.")
    started = time.perf_counter()
    try:
        counts = generate(scale)
    except DemoRefused as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    summary = ", ".join(f"{v} {k}" for k, v in counts.items())
    click.echo(f"Escala {scale}: {summary} ({time.perf_counter() - started:.1f} s).")
