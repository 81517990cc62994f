"""The registry pages: list and search, one entrepreneur, the form, categories, CSV in and out."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    Form,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from app import clock
from app.domain import csv_import, policy, registry
from app.domain.errors import DomainError, Invalid
from app.domain.rut import format_rut
from app.extensions import db
from app.models import Category, Commune, Nomination, RegistryImport, Role, Slot
from app.web import params
from app.web.access import actor, roles, staff
from app.web.htmx import is_htmx, pick

bp = Blueprint("registry", __name__, url_prefix="/registry")
EDITORS = (Role.ADMIN, Role.COORDINATOR, Role.OFFICER)
NEED_CHOICES = [
    SelectChoice("power", _l("Electricidad")),
    SelectChoice("table", _l("Mesa")),
    SelectChoice("food", _l("Manipulación de alimentos")),
]


def needs_labels(entrepreneur) -> list[str]:
    labels = []
    if entrepreneur.needs_power:
        labels.append(_("electricidad"))
    if entrepreneur.needs_table:
        labels.append(_("mesa"))
    if entrepreneur.needs_food_handling:
        labels.append(_("manipulación de alimentos"))
    return labels


def init_app(app) -> None:
    app.jinja_env.filters["rut"] = lambda value: format_rut(value) if value else ""
    app.jinja_env.filters["phone"] = registry.format_phone
    app.jinja_env.globals["needs_labels"] = needs_labels


class SearchForm(Form):
    q = StringField(_l("Buscar"), validators=[Optional(), Length(max=100)])
    category = SelectField(
        _l("Categoría"), coerce=params.filter_id, default=0, validate_choice=False
    )
    needs = SelectMultipleField(_l("Necesita"), choices=NEED_CHOICES, validate_choice=False)
    participated = SelectField(
        _l("Participación este año"),
        choices=[
            SelectChoice("", _l("Todos")),
            SelectChoice("no", _l("Aún no ha participado")),
            SelectChoice("yes", _l("Ya participó")),
        ],
        default="",
        validate_choice=False,
    )
    commune = SelectField(_l("Comuna"), coerce=params.filter_id, default=0, validate_choice=False)
    status = SelectField(
        _l("Estado"),
        choices=[
            SelectChoice("active", _l("Activos")),
            SelectChoice("inactive", _l("Inactivos")),
            SelectChoice("all", _l("Todos")),
        ],
        default="active",
        validate_choice=False,
    )


class EntrepreneurForm(FlaskForm):
    commune = SelectField(_l("Comuna"), coerce=int, default=0)
    business_name = StringField(_l("Nombre del negocio"), validators=[Length(max=160)])
    owner_name = StringField(_l("Nombre de la persona titular"), validators=[Length(max=160)])
    rut = StringField(_l("RUT"), validators=[Length(max=20)])
    email = EmailField(_l("Correo"), validators=[Optional(), Length(max=254)])
    phone = StringField(_l("Teléfono"), validators=[Optional(), Length(max=30)])
    category = SelectField(_l("Categoría"), coerce=int, default=0)
    description = TextAreaField(_l("Descripción"), validators=[Length(max=2000)])
    website = StringField(_l("Web o red social"), validators=[Optional(), Length(max=300)])
    needs_power = BooleanField(_l("Necesita electricidad"))
    needs_table = BooleanField(_l("Necesita mesa"))
    needs_food_handling = BooleanField(_l("Manipula alimentos"))
    sanitary_resolution = StringField(
        _l("N.º de resolución sanitaria"), validators=[Optional(), Length(max=60)]
    )
    sanitary_expiry = DateField(
        _l("Vencimiento de la resolución sanitaria"),
        validators=[Optional()],
        render_kw={"lang": "es-CL"},
    )
    public_consent = BooleanField(_l("Acepta aparecer en las páginas públicas"))
    active = BooleanField(_l("Activo"), default=True)
    notes = TextAreaField(_l("Notas internas"), validators=[Length(max=4000)])
    version = HiddenField()  # the record's version when the form was opened

    def setup(self, user, categories: list[Category], communes: list[Commune]) -> None:
        self.category.choices = [SelectChoice(0, "—")] + [
            SelectChoice(c.id, c.name) for c in categories
        ]
        if user.role is Role.OFFICER:
            del self.commune
        else:
            self.commune.choices = [SelectChoice(0, "—")] + [
                SelectChoice(c.id, c.name) for c in communes
            ]

    def data_for_domain(self, categories: dict[int, Category]) -> dict:
        data = {name: getattr(self, name).data for name in registry.FIELDS if name != "category"}
        data["category"] = categories.get(self.category.data)
        return data


def _communes() -> list[Commune]:
    return list(db.session.execute(select(Commune).order_by(Commune.name)).scalars())


def _filters(form: SearchForm) -> registry.Filters:
    return registry.Filters(
        q=(form.q.data or "").strip()[:100],
        category_id=form.category.data or None,
        needs=tuple(form.needs.data or ()),
        participated=form.participated.data or "",
        commune_id=form.commune.data or None,
        status=form.status.data if form.status.data in ("active", "inactive", "all") else "active",
        year=clock.today().year,
    )


@bp.route("/")
@staff
def index():
    user = actor()
    form = SearchForm(request.args)
    categories = registry.all_categories()
    form.category.choices = [SelectChoice(0, _("Todas"))] + [
        SelectChoice(c.id, c.name) for c in categories
    ]
    communes = [] if user.is_officer else _communes()
    form.commune.choices = [SelectChoice(0, _("Todas"))] + [
        SelectChoice(c.id, c.name) for c in communes
    ]
    if not form.validate():
        raise Invalid(_("La búsqueda es demasiado larga (máximo 100 caracteres)."))
    result = registry.search(user, _filters(form), page=params.arg_page())
    args = {
        key: [v for v in request.args.getlist(key) if v]
        for key in request.args
        if key != "page" and any(request.args.getlist(key))
    }
    return render_template(
        pick("registry/index.html", "registry/_results.html"),
        form=form,
        result=result,
        page_args=args,
        needs_args=request.args.getlist("needs"),
        can_edit=policy.can_edit_registry(user),
        show_commune=not user.is_officer,
    )


def _entrepreneur_form(entrepreneur=None):
    user = actor()
    categories = registry.active_categories()
    if entrepreneur is not None and entrepreneur.category not in categories:
        categories.append(entrepreneur.category)
    form = EntrepreneurForm(obj=entrepreneur if request.method == "GET" else None)
    form.setup(user, categories, [] if user.is_officer else _communes())
    if request.method == "GET" and entrepreneur is not None:
        form.category.data = entrepreneur.category_id
        form.rut.data = format_rut(entrepreneur.rut)
        form.phone.data = registry.format_phone(entrepreneur.phone)
        if form.commune:
            form.commune.data = entrepreneur.commune_id
    return form, {c.id: c for c in categories}


def _show_errors(form: EntrepreneurForm, exc: DomainError) -> None:
    errors = getattr(exc, "errors", None) or {exc.field or "business_name": exc.message}
    for name, message in errors.items():
        getattr(form, name, form.business_name).errors.append(message)


@bp.route("/new", methods=["GET", "POST"])
@roles(*EDITORS)
def new():
    user = actor()
    form, categories = _entrepreneur_form()
    status = 200
    if form.validate_on_submit():
        commune = user.commune if user.is_officer else db.session.get(Commune, form.commune.data)
        try:
            if commune is None:
                raise Invalid(_("Elija la comuna del emprendedor."), field="commune")
            entrepreneur = registry.create_entrepreneur(
                form.data_for_domain(categories), commune=commune, by=user
            )
        except DomainError as exc:
            db.session.rollback()
            _show_errors(form, exc)
            status = 409 if exc.status == 409 else 400
        else:
            db.session.commit()
            flash(_("Se registró a %(name)s.", name=entrepreneur.business_name), "success")
            return redirect(url_for("registry.show", entrepreneur_id=entrepreneur.id))
    elif request.method == "POST":
        status = 400
    return render_template("registry/form.html", form=form, entrepreneur=None), status


@bp.route("/<int:entrepreneur_id>")
@staff
def show(entrepreneur_id: int):
    user = actor()
    entrepreneur = registry.get_entrepreneur(entrepreneur_id, user=user)
    nominations = list(
        db.session.execute(
            select(Nomination)
            .where(Nomination.entrepreneur_id == entrepreneur.id)
            .join(Slot, Slot.id == Nomination.slot_id)
            .options(selectinload(Nomination.slot))
            .order_by(Slot.starts_on.desc())
        ).scalars()
    )
    return render_template(
        "registry/show.html",
        e=entrepreneur,
        nominations=nominations,
        stats=registry.participation([entrepreneur.id])[entrepreneur.id],
        can_edit=policy.can_edit_registry(user, entrepreneur.commune_id),
        today=clock.today(),
    )


@bp.route("/<int:entrepreneur_id>/edit", methods=["GET", "POST"])
@roles(*EDITORS)
def edit(entrepreneur_id: int):
    user = actor()
    entrepreneur = registry.get_entrepreneur(entrepreneur_id, user=user)
    form, categories = _entrepreneur_form(entrepreneur)
    if form.commune:
        # Moving an entrepreneur between communes is not an edit: the commune is shown, fixed.
        del form.commune
    status = 200
    if request.method == "GET":
        form.version.data = str(entrepreneur.version)
    conflict = None
    if form.validate_on_submit():
        try:
            registry.update_entrepreneur(
                entrepreneur,
                form.data_for_domain(categories),
                by=user,
                expected_version=_int_or_none(form.version.data),
            )
        except registry.EditConflict as exc:
            db.session.rollback()
            entrepreneur = registry.get_entrepreneur(entrepreneur_id, user=user)
            # What is stored now, beside what this person typed (kept in the form); saving
            # again replaces it knowingly.
            conflict = {"message": exc.message, "current": entrepreneur}
            form.version.data = str(entrepreneur.version)
            status = 409
        except DomainError as exc:
            db.session.rollback()
            entrepreneur = registry.get_entrepreneur(entrepreneur_id, user=user)
            _show_errors(form, exc)
            status = 409 if exc.status == 409 else 400
        else:
            db.session.commit()
            flash(_("Se guardaron los cambios."), "success")
            return redirect(url_for("registry.show", entrepreneur_id=entrepreneur.id))
    elif request.method == "POST":
        status = 400
    return render_template(
        "registry/form.html", form=form, entrepreneur=entrepreneur, conflict=conflict
    ), status


def _int_or_none(text: str | None) -> int | None:
    return int(text) if text and text.isascii() and text.isdigit() and len(text) < 10 else None


# --- categories -----------------------------------------------------------------------------


class CategoryForm(FlaskForm):
    name = StringField(_l("Nombre"), validators=[Length(max=80)])
    requires_food_permit = BooleanField(_l("Exige resolución sanitaria (alimentos)"))
    active = BooleanField(_l("Activa"), default=True)


def _save_category(form: CategoryForm, category: Category | None):
    """Creates or edits a category from its form; the error, if any, goes on the name field."""
    try:
        saved = registry.save_category(
            category,
            name=form.name.data or "",
            requires_food_permit=form.requires_food_permit.data,
            active=form.active.data,
            by=actor(),
        )
    except DomainError as exc:
        db.session.rollback()
        form.name.errors.append(exc.message)
        return None, exc.status
    db.session.commit()
    return saved, 200


@bp.route("/categories", methods=["GET", "POST"])
@roles(Role.ADMIN)
def categories():
    form = CategoryForm()
    status = 200
    if form.validate_on_submit():
        category, status = _save_category(form, None)
        if category is not None:
            flash(_("Se agregó la categoría «%(name)s».", name=category.name), "success")
            return redirect(url_for("registry.categories"))
    elif request.method == "POST":
        status = 400
    return render_template(
        "registry/categories.html", form=form, categories=registry.all_categories()
    ), status


@bp.route("/categories/<int:category_id>", methods=["GET", "POST"])
@roles(Role.ADMIN)
def edit_category(category_id: int):
    category = db.session.get(Category, category_id)
    if category is None:
        abort(404)
    form = CategoryForm(obj=category if request.method == "GET" else None)
    status = 200
    if form.validate_on_submit():
        saved, status = _save_category(form, category)
        if saved is not None:
            flash(_("Categoría actualizada."), "success")
            return redirect(url_for("registry.categories"))
    elif request.method == "POST":
        status = 400
    return render_template("registry/category_form.html", form=form, category=category), status


# --- CSV export and import ------------------------------------------------------------------


@bp.route("/export.csv")
@staff
def export():
    user = actor()
    commune_id = params.arg_id("commune")
    content = csv_import.export_csv(user, commune_id=commune_id)
    commune = user.commune if user.is_officer else db.session.get(Commune, commune_id or 0)
    name = f"emprendedores-{commune.slug if commune else 'provincia'}-{clock.today():%Y%m%d}.csv"
    return Response(
        content,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


class ImportForm(FlaskForm):
    file = FileField(_l("Archivo CSV"))
    commune = SelectField(_l("Comuna"), coerce=int, default=0)


@bp.route("/import", methods=["GET", "POST"])
@roles(*EDITORS)
def import_upload():
    user = actor()
    form = ImportForm()
    if user.is_officer:
        del form.commune
    else:
        form.commune.choices = [SelectChoice(0, "—")] + [
            SelectChoice(c.id, c.name) for c in _communes()
        ]
    status = 200
    if form.validate_on_submit():
        commune = user.commune if user.is_officer else db.session.get(Commune, form.commune.data)
        upload = form.file.data
        try:
            if commune is None:
                raise Invalid(_("Elija la comuna a la que pertenece el archivo."))
            if upload is None or not getattr(upload, "filename", ""):
                raise Invalid(_("Elija el archivo CSV que quiere importar."))
            content = upload.stream.read(csv_import.MAX_BYTES + 1)
            batch = csv_import.start_import(
                content, filename=upload.filename, commune=commune, by=user
            )
        except DomainError as exc:
            db.session.rollback()
            form.file.errors.append(exc.message)
            status = exc.status
        else:
            db.session.commit()
            return redirect(url_for("registry.import_preview", token=batch.token))
    elif request.method == "POST":
        status = 400
    return render_template("registry/import.html", form=form, columns=csv_import.COLUMNS), status


def _import_or_404(token: str) -> RegistryImport:
    batch = csv_import.get_import(token, user=actor())
    if batch is None:
        abort(404)
    return batch


def _preview_context(batch: RegistryImport) -> dict:
    return {
        "batch": batch,
        "display_value": csv_import.display_value,
        **csv_import.preview(batch),
    }


@bp.route("/import/<token>")
@roles(*EDITORS)
def import_preview(token: str):
    batch = _import_or_404(token)
    return render_template("registry/import_preview.html", **_preview_context(batch))


@bp.route("/import/<token>/check", methods=["POST"])
@roles(*EDITORS)
def import_check(token: str):
    """Checks the next chunk of rows; the progress fragment asks again until all are checked."""
    batch = _import_or_404(token)
    csv_import.check_next_chunk(batch)
    db.session.commit()
    context = _preview_context(batch)
    if is_htmx():
        return render_template("registry/_import_status.html", **context)
    return redirect(url_for("registry.import_preview", token=batch.token))


@bp.route("/import/<token>/commit", methods=["POST"])
@roles(*EDITORS)
def import_commit(token: str):
    batch = _import_or_404(token)
    try:
        summary = csv_import.commit_import(batch, by=actor())
    except DomainError as exc:
        db.session.rollback()
        batch = _import_or_404(token)
        return render_template(
            "registry/import_preview.html", error=exc.message, **_preview_context(batch)
        ), exc.status
    db.session.commit()
    flash(
        _(
            "Importación terminada: %(created)d emprendedores nuevos y %(updated)d actualizados.",
            created=summary.created,
            updated=summary.updated,
        ),
        "success",
    )
    return redirect(url_for("registry.index"))
