"""Reports for the provincial board, their CSV/XLSX exports, and the week's printables (the
front desk's roster and the A4 poster with a QR code to the public week page)."""

from __future__ import annotations

from dataclasses import dataclass

import segno
from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask_babel import gettext as _

from app import clock
from app.domain import exports, reports, schedule, showcase
from app.domain import stands as stand_ops
from app.domain.errors import Invalid
from app.extensions import db
from app.i18n import current_lang, fmt_date
from app.models import Commune, Role
from app.web import params
from app.web.access import actor, roles, staff

bp = Blueprint("reports", __name__, url_prefix="/reports")
READERS = (Role.ADMIN, Role.COORDINATOR, Role.VIEWER, Role.OFFICER)
FORMATS = ("csv", "xlsx")


def _filters() -> reports.Filters:
    raw_year = (request.args.get("year") or "").strip()
    year = None
    if raw_year:
        if not (raw_year.isascii() and raw_year.isdigit() and len(raw_year) == 4):
            raise Invalid(_("El año debe tener cuatro cifras, por ejemplo 2026."))
        year = int(raw_year)
    commune = None
    raw_commune = (request.args.get("commune") or "").strip()
    if raw_commune:
        commune_id = params.parse_id(raw_commune)
        commune = db.session.get(Commune, commune_id) if commune_id else None
        if commune is None:
            raise Invalid(_("Esa comuna no existe."))
    return reports.Filters(year=year, commune=commune)


def _query(report: reports.Report) -> dict:
    args = {}
    if report.filters.year is not None:
        args["year"] = report.filters.year
    if report.filters.commune is not None and actor().role is not Role.OFFICER:
        args["commune"] = report.filters.commune.id
    return args


@bp.route("/")
@roles(*READERS)
def index():
    report = reports.build(actor(), _filters())
    tables = reports.tables(report)
    return render_template(
        "reports/index.html",
        report=report,
        tables=tables,
        shown={name: page_rows(table) for name, table in tables.items()},
        query=_query(report),
        charts=_charts(report),
        cell=cell,
        is_officer=actor().role is Role.OFFICER,
    )


_CELL_CLASS = {"text": "", "date": "nowrap"}  # numbers: "num", aligned right


def page_rows(table: reports.Table) -> list[list[tuple[str, str]]]:
    """The table's cells as the page shows them, with each one's class, formatted here once:
    a template call per cell is what made a twenty-year page slow."""
    kinds = [c.kind for c in table.columns]
    classes = [_CELL_CLASS.get(kind, "num") for kind in kinds]
    return [
        [(cell(v, k), c) for v, k, c in zip(row, kinds, classes, strict=True)] for row in table.rows
    ]


def cell(value, kind: str) -> str:
    """A table cell as the page shows it (the exports write the value itself)."""
    if value is None:
        return "—"
    if kind == "percent":
        return _percent(value)
    if kind == "decimal":
        return _number(value, 2)
    if kind == "int":
        return _number(value)
    if kind == "date":
        return fmt_date(value, "dd-MM-yyyy")
    return str(value)


@bp.route("/<any(anos, comunas, semanas, turnos, rechazos):name>.<any(csv, xlsx):fmt>")
@roles(*READERS)
def export(name: str, fmt: str):
    report = reports.build(actor(), _filters())
    table = reports.tables(report)[name]
    stem = f"vitrina-{table.name}"
    if report.filters.year is not None:
        stem += f"-{report.filters.year}"
    if report.filters.commune is not None:
        stem += f"-{report.filters.commune.slug}"
    return _file(table, stem, fmt)


def _file(table: reports.Table, stem: str, fmt: str) -> Response:
    if fmt == "csv":
        body, mimetype = exports.csv_text(table).encode("utf-8"), exports.CSV_MIMETYPE
    else:
        body, mimetype = exports.xlsx_bytes(table), exports.XLSX_MIMETYPE
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{stem}.{fmt}"'},
    )


# --- charts: bars drawn on the server, the numbers written beside them ----------------------


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    reference: float | None  # drawn lighter behind the value: offered, entitled
    text: str  # the numbers, written beside the bar
    width: float  # of the value's bar, in chart units
    reference_width: float


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    description: str
    bars: list[Bar]
    legend: tuple[str, str | None]  # the value's name, the reference's name

    WIDTH = 640
    LABEL = 130  # room for the labels at the left
    TEXT = 170  # room for the numbers at the right
    ROW = 24

    @property
    def plot(self) -> int:
        return self.WIDTH - self.LABEL - self.TEXT

    @property
    def height(self) -> int:
        return self.ROW * len(self.bars) + 8


def _chart(id, title, description, rows, legend) -> Chart:
    """rows: (label, value, reference or None, text)."""
    top = max([max(v, r or 0) for _label, v, r, _text in rows] + [0]) or 1
    plot = Chart.WIDTH - Chart.LABEL - Chart.TEXT
    bars = [
        Bar(label, value, ref, text, plot * value / top, plot * (ref or 0) / top)
        for label, value, ref, text in rows
    ]
    return Chart(id, title, description, bars, legend)


def _number(value: float, digits: int = 0) -> str:
    """Thousands apart by a thin space (unambiguous in both languages), the decimal comma in
    Spanish and point in English."""
    text = f"{value:,.{digits}f}".replace(",", "\u2009")
    return text if current_lang() == "en" else text.replace(".", ",")


def _percent(value: float | None) -> str:
    return "—" if value is None else _number(value * 100, 1) + " %"


def _charts(report: reports.Report) -> list[Chart]:
    charts = [
        _chart(
            "chart-years",
            _("Stands asignados y ofrecidos por año"),
            _("Barra oscura: stands asignados; barra clara: stands ofrecidos."),
            [
                (
                    str(year),
                    f.stands_assigned,
                    f.stands_offered,
                    f"{_number(f.stands_assigned)} / {_number(f.stands_offered)}"
                    f" ({_percent(f.fill_rate)})",
                )
                for year, f in report.by_year
            ],
            (_("Asignados"), _("Ofrecidos")),
        ),
        _chart(
            "chart-communes",
            _("Emprendedores por comuna"),
            _("Emprendedores distintos con stand; entre paréntesis, cuántos repiten."),
            [
                (
                    c.name,
                    f.entrepreneurs,
                    None,
                    f"{_number(f.entrepreneurs)} ({_number(f.repeat)} " + _("repiten") + ")",
                )
                for c, f in report.by_commune
            ],
            (_("Emprendedores"), None),
        ),
        _chart(
            "chart-turns",
            _("Turnos recibidos y turnos que correspondían"),
            _("Barra oscura: turnos recibidos; barra clara: los que le correspondían."),
            [
                (
                    t.commune.name,
                    t.received,
                    t.entitled,
                    f"{_number(t.received, 1)} / {_number(t.entitled, 1)}",
                )
                for t in report.turn_totals
            ],
            (_("Recibidos"), _("Correspondían")),
        ),
    ]
    if report.rejections:
        charts.append(
            _chart(
                "chart-rejections",
                _("Rechazos por motivo"),
                _("Cantidad de nominaciones rechazadas por cada motivo."),
                [(reason, n, None, _number(n)) for reason, n in report.rejections],
                (_("Rechazos"), None),
            )
        )
    return charts


# --- a week's printables --------------------------------------------------------------------


@bp.route("/weeks/<int:slot_id>/roster")
@staff
def roster(slot_id: int):
    slot = schedule.get_week(slot_id)
    lines = reports.roster(slot, actor())
    return render_template(
        "reports/roster.html",
        slot=slot,
        lines=lines,
        hosts=showcase.hosts(slot),
        printed_on=clock.today(),
        is_officer=actor().role is Role.OFFICER,
    )


@bp.route("/weeks/<int:slot_id>/roster.<any(csv, xlsx):fmt>")
@staff
def roster_export(slot_id: int, fmt: str):
    slot = schedule.get_week(slot_id)
    table = reports.roster_table(slot, reports.roster(slot, actor()))
    return _file(table, f"vitrina-{table.name}", fmt)


@bp.route("/weeks/<int:slot_id>/poster")
@staff
def poster(slot_id: int):
    """Only what the public week page shows: consenting entrepreneurs of a published roster."""
    slot = schedule.get_week(slot_id)
    stands = showcase.public_stands([slot.id]).get(slot.id, [])
    venue = showcase.venue_of(slot) if stands else None
    public_url = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for(
        "calendars.week", slot_id=slot.id
    )
    return render_template(
        "reports/poster.html",
        slot=slot,
        hosts=showcase.hosts(slot),
        stands=stands,
        venue=venue,
        marks={
            s.stand_id: stand_ops.MapMark(commune=s.commune, label=s.business_name) for s in stands
        },
        map_width=stand_ops.MAP_WIDTH,
        map_height=stand_ops.MAP_HEIGHT,
        public_url=public_url,
        qr=segno.make(public_url, error="m").svg_data_uri(scale=8, border=2, light="#fff"),
    )
