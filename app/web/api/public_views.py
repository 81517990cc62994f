"""The public reads: weeks, a week's roster, the showcase, communes, categories. Only
entrepreneurs who agreed to be shown appear, exactly as on the public pages."""

from __future__ import annotations

from app import clock
from app.domain import registry, showcase
from app.models import SlotState
from app.web.api import bp, cached_read, convert, public, public_responses, spec
from app.web.api import schemas as s

TAG = "Público"


@bp.get("/communes")
@public
@spec.validate(resp=public_responses(HTTP_200=s.CommuneList), tags=[TAG])
def communes():
    """The province's communes."""
    return cached_read(
        ("communes",),
        lambda: s.CommuneList(items=[convert.commune(c) for c in showcase.all_communes()]),
    )


@bp.get("/categories")
@public
@spec.validate(resp=public_responses(HTTP_200=s.CategoryList), tags=[TAG])
def categories():
    """The registry's product categories (an entrepreneur's `category_id` is one of these)."""
    return cached_read(
        ("categories",),
        lambda: s.CategoryList(
            items=[
                s.CategoryOut(
                    id=c.id,
                    slug=c.slug,
                    name=c.name,
                    requires_food_permit=c.requires_food_permit,
                    active=c.active,
                )
                for c in registry.all_categories()
            ]
        ),
    )


@bp.get("/weeks")
@public
@spec.validate(resp=public_responses(HTTP_200=s.WeekPage), tags=[TAG])
def weeks(query: s.WeeksQuery):
    """The weeks at the mall in date order, with their host communes and state (paginated)."""

    def build() -> s.WeekPage:
        found = showcase.weeks_page(
            year=query.year, state=query.state, page=query.page, per_page=query.per_page
        )
        return s.WeekPage(
            items=[convert.week(w) for w in found.items],
            page=found.page,
            per_page=found.per_page,
            total=found.total,
            pages=found.pages,
        )

    return cached_read(("weeks",), build)


@bp.get("/weeks/<int:week_id>")
@public
@spec.validate(resp=public_responses(HTTP_200=s.WeekOut), tags=[TAG])
def week(week_id: int):
    """One week: dates, state, host communes."""
    return cached_read(("week", week_id), lambda: convert.week(showcase.get_week(week_id)))


@bp.get("/weeks/<int:week_id>/roster")
@public
@spec.validate(resp=public_responses(HTTP_200=s.RosterOut), tags=[TAG])
def roster(week_id: int):
    """A week's published roster: each stand and its entrepreneur (those who agreed to be
    shown). Empty, with `published: false`, until the mall publishes the week."""

    def build() -> s.RosterOut:
        found = showcase.get_week(week_id)
        published = found.state in SlotState.ROSTER_PUBLIC
        stands = showcase.public_stands([found.id]).get(found.id, []) if published else []
        return s.RosterOut(
            week=convert.week(found),
            published=published,
            stands=[convert.public_stand(p) for p in stands],
        )

    return cached_read(("roster", week_id), build)


@bp.get("/showcase")
@public
@spec.validate(resp=public_responses(HTTP_200=s.ShowcaseOut), tags=[TAG])
def showcase_now():
    """What /mall shows: the week on now (else the next), its stands, the weeks after it."""

    def build() -> s.ShowcaseOut:
        show = showcase.mall_showcase(today=clock.today())
        return s.ShowcaseOut(
            week=convert.week(show.week) if show.week is not None else None,
            is_current=show.is_current,
            stands=[convert.public_stand(p) for p in show.stands],
            upcoming=[convert.week(w) for w in show.upcoming],
        )

    return cached_read(("showcase",), build)
