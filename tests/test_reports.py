"""Reports for the provincial board: figures checked against a history counted by hand, the
exports read back and compared with the page, and the week's printables.

The figures and the exports run on SQLite and PostgreSQL (marked db); pages on SQLite."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from openpyxl import load_workbook

from app import clock
from app.domain import nominations, reports, review, rotation, transitions
from tests.conftest import login
from tests.factories import make_category, make_program, make_world, register

NOW0 = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # before every deadline below


def _at(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=clock.VENUE_TZ).astimezone(UTC)


def _open(slot, quotas: dict, host, coordinator) -> None:
    rotation.set_allocations(
        slot,
        {c.id: n for c, n in quotas.items()},
        host_id=host.id if host else None,
        by=None,
        reason="prueba",
    )
    transitions.apply(slot, "open_nominations", by=coordinator, now=NOW0)


def _run_week(slot, coordinator, *, attended=(), no_show=(), confirmed=()) -> None:
    """Publishes the week, lives it (attendance on its second day) and completes it."""
    transitions.apply(slot, "publish", by=coordinator, now=NOW0)
    during = _at(slot.starts_on + timedelta(days=1))
    transitions.apply(slot, "start", by=coordinator, now=during)
    for n in (*attended, *no_show, *confirmed):
        review.decide(n, "confirm", by=coordinator, now=during)
    for n in attended:
        review.decide(n, "mark_attended", by=coordinator, now=during)
    for n in no_show:
        review.decide(n, "mark_no_show", by=coordinator, now=during)
    transitions.apply(slot, "complete", by=coordinator, now=_at(slot.ends_on + timedelta(days=1)))


def build_history(app) -> dict:
    """Two years at the mall, built through the rules (weights equal, 5 communes):

    W1 January 2027, shared: Melipilla 2 stands, Alhué 1. Melipilla sends m1, m2 and m3 in
      reserve; Alhué a1 and a2 in reserve. The mall approves m1, m2, a1, waitlists m3, rejects
      a2 ("Rubro repetido"), then cancels m2: m3 is promoted. m1 and a1 attend, m3 does not.
    W2 February 2027, hosted by Melipilla (3 stands): m1, m4 approved, m2 rejected
      ("rubro repetido"); m1 attends, m4's attendance is never recorded.
    W3 March 2027, hosted by Alhué: cancelled.
    W5 January 2028 (next program), hosted by Alhué (2 stands): a1 attends, a2 does not.
    """
    world = make_world()
    app.config["FIXED_NOW"] = NOW0
    communes = {c.slug: c for c in world["communes"]}
    meli, alhue = communes["melipilla"], communes["alhue"]
    coordinator = world["users"]["coordinator"]
    officer, other = world["users"]["officer"], world["users"]["other_officer"]
    crafts = make_category("artesania")
    p2027 = make_program(world["venue"], year=2027)
    p2028 = make_program(world["venue"], year=2028)
    w1, w2, w3 = p2027.slots[0], p2027.slots[1], p2027.slots[2]
    w5 = p2028.slots[0]
    people = {
        "m1": register(meli, crafts, "12345678-5", by=officer, business_name="=HYPERLINK(1)"),
        "m2": register(meli, crafts, "11111111-1", by=officer, business_name="Miel Dos"),
        "m3": register(meli, crafts, "33333333-3", by=officer, business_name="Tres Quesos"),
        "m4": register(meli, crafts, "44444444-4", by=officer, business_name="Cuatro Telas"),
        "a1": register(
            alhue, crafts, "22222222-2", by=other, business_name="Greda Uno", public_consent=True
        ),
        "a2": register(alhue, crafts, "55555555-5", by=other, business_name="Alhué Dos"),
    }
    officers = {meli.id: officer, alhue.id: other}

    def nominate(slot, key, reserve=False):
        e = people[key]
        return nominations.nominate(slot, e, by=officers[e.commune_id], reserve=reserve, now=NOW0)

    def submit(slot, *communes_):
        for c in communes_:
            nominations.submit_list(slot, c, by=officers[c.id], now=NOW0)
        transitions.apply(slot, "close_nominations", by=coordinator, now=NOW0)

    # W1
    _open(w1, {meli: 2, alhue: 1}, None, coordinator)
    n = {k: nominate(w1, k) for k in ("m1", "m2", "a1")}
    n["m3"] = nominate(w1, "m3", reserve=True)
    n["a2"] = nominate(w1, "a2", reserve=True)
    submit(w1, meli, alhue)
    for k in ("m1", "m2", "a1"):
        review.approve(n[k], by=coordinator, now=NOW0)
    review.decide(n["m3"], "waitlist", by=coordinator, now=NOW0)
    review.decide(n["a2"], "reject", by=coordinator, reason="Rubro repetido", now=NOW0)
    promoted = review.decide(n["m2"], "cancel", by=coordinator, reason="Se enfermó", now=NOW0)
    assert [p.id for p in promoted] == [n["m3"].id]
    _run_week(w1, coordinator, attended=(n["m1"], n["a1"]), no_show=(n["m3"],))
    # W2
    _open(w2, {meli: 3}, meli, coordinator)
    n2 = {k: nominate(w2, k) for k in ("m1", "m4", "m2")}
    submit(w2, meli)
    review.approve(n2["m1"], by=coordinator, now=NOW0)
    review.approve(n2["m4"], by=coordinator, now=NOW0)
    review.decide(n2["m2"], "reject", by=coordinator, reason="rubro  repetido", now=NOW0)
    _run_week(w2, coordinator, attended=(n2["m1"],), confirmed=(n2["m4"],))
    # W3
    rotation.set_allocations(w3, {alhue.id: 3}, host_id=alhue.id, by=None, reason="prueba")
    transitions.apply(w3, "cancel", by=coordinator, reason="Remodelación", now=NOW0)
    # W5
    _open(w5, {alhue: 2}, alhue, coordinator)
    n5 = {k: nominate(w5, k) for k in ("a1", "a2")}
    submit(w5, alhue)
    for k in ("a1", "a2"):
        review.approve(n5[k], by=coordinator, now=NOW0)
    _run_week(w5, coordinator, attended=(n5["a1"],), no_show=(n5["a2"],))
    from app.extensions import db

    db.session.commit()
    return {**world, "meli": meli, "alhue": alhue, "w1": w1, "w2": w2, "w5": w5, "people": people}


FIGURES = (
    "weeks_held",
    "weeks_cancelled",
    "stands_offered",
    "stands_assigned",
    "entrepreneurs",
    "repeat",
    "attended",
    "no_show",
    "unrecorded",
    "promotions",
    "rejections",
)


def figures(f: reports.Figures) -> dict:
    return {name: getattr(f, name) for name in FIGURES}


def expected(**kw) -> dict:
    return {name: kw.get(name, 0) for name in FIGURES}


@pytest.fixture
def history(app):
    return build_history(app)


@pytest.mark.db
def test_report_figures_match_the_hand_count(history, backend):
    report = reports.build(history["users"]["viewer"], reports.Filters())
    assert figures(report.total) == expected(
        weeks_held=3,
        weeks_cancelled=1,
        stands_offered=8,
        stands_assigned=7,
        entrepreneurs=5,
        repeat=2,
        attended=4,
        no_show=2,
        unrecorded=1,
        promotions=1,
        rejections=2,
    )
    assert report.total.fill_rate == pytest.approx(7 / 8)
    assert report.total.attendance_rate == pytest.approx(4 / 6)
    by_year = dict(report.by_year)
    assert figures(by_year[2027]) == expected(
        weeks_held=2,
        weeks_cancelled=1,
        stands_offered=6,
        stands_assigned=5,
        entrepreneurs=4,
        repeat=1,
        attended=3,
        no_show=1,
        unrecorded=1,
        promotions=1,
        rejections=2,
    )
    assert figures(by_year[2028]) == expected(
        weeks_held=1, stands_offered=2, stands_assigned=2, entrepreneurs=2, attended=1, no_show=1
    )
    by_commune = {c.slug: f for c, f in report.by_commune}
    assert figures(by_commune["melipilla"]) == expected(
        weeks_held=2,
        stands_offered=5,
        stands_assigned=4,
        entrepreneurs=3,
        repeat=1,
        attended=2,
        no_show=1,
        unrecorded=1,
        promotions=1,
        rejections=1,
    )
    assert figures(by_commune["alhue"]) == expected(
        weeks_held=2,
        weeks_cancelled=1,
        stands_offered=3,
        stands_assigned=3,
        entrepreneurs=2,
        repeat=1,
        attended=2,
        no_show=1,
        rejections=1,
    )
    assert figures(by_commune["curacavi"]) == expected()
    # Case and spacing differ, the reason is the same.
    assert report.rejections == [("Rubro repetido", 2)]


@pytest.mark.db
def test_turns_entitled_and_received_across_years(history, backend):
    report = reports.build(history["users"]["viewer"], reports.Filters())
    turns = {(t.commune.slug, t.year): t for t in report.turns}
    # 2027: two turns (W1 shared 2:1 between Melipilla and Alhué, W2 Melipilla's; W3 was
    # cancelled); each of five equal communes is owed 2/5. 2028: one turn (Alhué's), 1/5 each.
    assert turns["melipilla", 2027].received == pytest.approx(2 / 3 + 1)
    assert turns["melipilla", 2027].entitled == pytest.approx(0.4)
    assert turns["alhue", 2027].received == pytest.approx(1 / 3)
    assert turns["alhue", 2028].received == pytest.approx(1)
    assert turns["alhue", 2028].entitled == pytest.approx(0.2)
    assert turns["melipilla", 2028].balance == pytest.approx(5 / 3 - 0.4 - 0.2)
    assert turns["alhue", 2028].balance == pytest.approx(1 / 3 - 0.4 + 0.8)
    assert turns["san-pedro", 2028].balance == pytest.approx(-0.6)
    totals = {t.commune.slug: t for t in report.turn_totals}
    assert totals["alhue"].received == pytest.approx(4 / 3)
    assert totals["alhue"].entitled == pytest.approx(0.6)


@pytest.mark.db
def test_filters_by_year_and_commune(history, backend):
    viewer = history["users"]["viewer"]
    only_2028 = reports.build(viewer, reports.Filters(year=2028))
    assert figures(only_2028.total) == expected(
        weeks_held=1, stands_offered=2, stands_assigned=2, entrepreneurs=2, attended=1, no_show=1
    )
    assert [y for y, _f in only_2028.by_year] == [2028]
    assert {t.year for t in only_2028.turns} == {2028}
    alhue = reports.build(viewer, reports.Filters(commune=history["alhue"]))
    assert figures(alhue.total) == expected(
        weeks_held=2,
        weeks_cancelled=1,
        stands_offered=3,
        stands_assigned=3,
        entrepreneurs=2,
        repeat=1,
        attended=2,
        no_show=1,
        rejections=1,
    )
    by_year = dict(alhue.by_year)
    # W1 is shared: only Alhué's stand and people count for Alhué.
    assert figures(by_year[2027]) == expected(
        weeks_held=1,
        weeks_cancelled=1,
        stands_offered=1,
        stands_assigned=1,
        entrepreneurs=1,
        attended=1,
        rejections=1,
    )
    assert [c.slug for c, _f in alhue.by_commune] == ["alhue"]
    assert [w.slot.id for w in alhue.weeks if w.figures.weeks_held] == [
        history["w1"].id,
        history["w5"].id,
    ]


def test_officer_sees_their_commune_whatever_they_ask(history, client):
    login(client, "melipilla@example.com")
    alhue = history["alhue"].id
    page = client.get(f"/reports/?commune={alhue}").get_data(as_text=True)
    assert "Comuna: Melipilla." in page
    assert 'name="commune"' not in page  # no commune picker for an officer
    rows = table_from_page(page, "comunas")
    assert [r[0] for r in rows[1:]] == ["Melipilla"]
    exported = read_csv(client.get(f"/reports/comunas.csv?commune={alhue}").data)
    assert [r[0] for r in exported[1:]] == ["Melipilla"]
    roster = client.get(f"/reports/weeks/{history['w1'].id}/roster").get_data(as_text=True)
    assert "Tres Quesos" in roster and "Greda Uno" not in roster


def test_viewer_page_shows_figures_and_charts(history, client):
    login(client, "viewer@example.com")
    page = client.get("/reports/?year=2027").get_data(as_text=True)
    assert 'data-figure="weeks_held">2<' in page
    assert 'data-figure="fill_rate">83,3 %<' in page
    # Charts are SVG drawn on the server, each with a title and its numbers in the text.
    assert page.count('role="img"') >= 3
    assert "5 / 6 (83,3 %)" in page
    assert "Rubro repetido" in page


def test_bad_filters_are_a_clear_400(history, client):
    login(client, "viewer@example.com")
    response = client.get("/reports/?year=veinte")
    assert response.status_code == 400
    assert "cuatro cifras" in response.get_data(as_text=True)
    response = client.get("/reports/?commune=999999")
    assert response.status_code == 400
    assert "Esa comuna no existe." in response.get_data(as_text=True)


# --- exports ---------------------------------------------------------------------------------


def table_from_page(page: str, name: str) -> list[list[str]]:
    match = re.search(rf'<table[^>]*data-table="{name}".*?</table>', page, re.S)
    assert match, f"no table {name} on the page"
    rows = []
    for tr in re.findall(r"<tr>(.*?)</tr>", match.group(0), re.S):
        # The last column of the weeks' table links to their printables: not exported.
        cells = re.findall(r"<t[hd](?![^>]*data-extra)[^>]*>(.*?)</t[hd]>", tr, re.S)
        rows.append([html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in cells])
    return rows


def read_csv(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def unquote(text: str) -> str:
    return text[1:] if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@") else text


def page_text(cell: str) -> str:
    """A page cell in the CSV's spelling: no thousands spaces, no space before %."""
    return "" if cell == "—" else cell.replace("\u2009", "").replace(" %", "%")


def xlsx_text(value, number_format: str) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%d-%m-%Y")
    if number_format == "0.0%":
        return f"{value * 100:.1f}%".replace(".", ",")
    if number_format == "0.00":
        return f"{value:.2f}".replace(".", ",")
    if isinstance(value, int | float):
        return str(int(value))
    return unquote(value)


@pytest.mark.db
@pytest.mark.parametrize("name", ["anos", "comunas", "semanas", "turnos", "rechazos"])
def test_exports_read_back_as_the_page_shows(history, client, name, backend):
    login(client, "coordinador@example.com")
    page = client.get("/reports/").get_data(as_text=True)
    shown = [[page_text(c) for c in row] for row in table_from_page(page, name)]
    assert len(shown) > 1

    response = client.get(f"/reports/{name}.csv")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert [[unquote(c) for c in row] for row in read_csv(response.data)] == shown

    response = client.get(f"/reports/{name}.xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [
        [xlsx_text(c.value, c.number_format) for c in row]
        for row in sheet.iter_rows(min_row=1, max_row=sheet.max_row)
    ]
    assert rows == shown
    assert all(c.font.bold for c in sheet[1])  # Spanish headers, in bold


def test_xlsx_has_dates_as_dates_numbers_as_numbers(history, client):
    login(client, "coordinador@example.com")
    sheet = load_workbook(io.BytesIO(client.get("/reports/semanas.xlsx").data)).active
    assert [c.value for c in sheet[1]][:4] == ["Inicio", "Término", "Estado", "Comunas"]
    first = {sheet.cell(1, i).value: sheet.cell(2, i) for i in range(1, sheet.max_column + 1)}
    assert first["Inicio"].is_date and first["Inicio"].value.date() == history["w1"].starts_on
    assert first["Stands ofrecidos"].value == 3 and first["Stands ofrecidos"].data_type == "n"
    assert first["Ocupación"].value == pytest.approx(1.0)
    assert first["Ocupación"].number_format == "0.0%"


def test_formulas_in_typed_text_are_neutralised_in_both_formats(history, client):
    """m1's business name is "=HYPERLINK(1)": no export may hand it to a spreadsheet as a
    formula. Both formats share the registry export's rule (a leading quote)."""
    login(client, "coordinador@example.com")
    w1 = history["w1"].id
    lines = read_csv(client.get(f"/reports/weeks/{w1}/roster.csv").data)
    assert lines[0][:4] == ["Stand", "Emprendimiento", "Titular", "RUT"]
    names = [row[1] for row in lines[1:]]
    assert "'=HYPERLINK(1)" in names
    book = load_workbook(io.BytesIO(client.get(f"/reports/weeks/{w1}/roster.xlsx").data))
    cells = [c for row in book.active.iter_rows() for c in row]
    assert not [c for c in cells if c.data_type == "f"]
    assert "'=HYPERLINK(1)" in [c.value for c in cells]
    # The page shows the name as it was typed.
    page = client.get(f"/reports/weeks/{w1}/roster").get_data(as_text=True)
    assert "=HYPERLINK(1)" in page


# --- printables --------------------------------------------------------------------------------


def test_roster_lists_the_weeks_stands_for_the_front_desk(history, client):
    login(client, "coordinador@example.com")
    page = client.get(f"/reports/weeks/{history['w1'].id}/roster").get_data(as_text=True)
    for name in ("=HYPERLINK(1)", "Tres Quesos", "Greda Uno"):
        assert name in page
    assert "Miel Dos" not in page  # cancelled: their stand went to the waiting list
    assert "Alhué Dos" not in page  # rejected
    assert "3 stands asignados" in page
    assert 'media="print"' in page or "css/reports.css" in page


def test_poster_shows_only_consenting_entrepreneurs_and_a_qr_to_the_public_page(
    history, client, app
):
    login(client, "coordinador@example.com")
    w1 = history["w1"].id
    page = client.get(f"/reports/weeks/{w1}/poster").get_data(as_text=True)
    assert "Greda Uno" in page  # agreed to be shown
    assert "Tres Quesos" not in page and "HYPERLINK" not in page  # did not
    public_url = app.config["PUBLIC_BASE_URL"].rstrip("/") + f"/calendar/weeks/{w1}"
    assert public_url in page
    assert 'src="data:image/svg+xml' in page
    assert "Melipilla" in page and "Alhué" in page


def test_public_week_page_offers_whatsapp_and_email_sharing(history, client, app):
    w1 = history["w1"].id
    page = html.unescape(client.get(f"/calendar/weeks/{w1}").get_data(as_text=True))
    public_url = app.config["PUBLIC_BASE_URL"].rstrip("/") + f"/calendar/weeks/{w1}"
    whatsapp = re.search(r'href="(https://wa\.me/\?[^"]+)"', page).group(1)
    assert public_url in parse_qs(urlsplit(whatsapp).query)["text"][0]
    mail = re.search(r'href="(mailto:\?[^"]+)"', page).group(1)
    assert public_url in parse_qs(urlsplit(mail).query)["body"][0]
    assert "Descargar .ics" in page


def test_reports_are_not_for_visitors(history, client):
    response = client.get("/reports/")
    assert response.status_code in (302, 401)
    assert client.get(f"/reports/weeks/{history['w1'].id}/poster").status_code in (302, 401)


def test_admin_coordinator_and_viewer_read_reports(history, app):
    for email in ("admin@example.com", "coordinador@example.com", "viewer@example.com"):
        client = app.test_client()
        login(client, email)
        page = client.get("/reports/")
        assert page.status_code == 200, email
        assert 'name="commune"' in page.get_data(as_text=True)
