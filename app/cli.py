"""Flask CLI commands: `flask users ...` and `flask demo ...`."""

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
