"""The statistics page of the console (/console/observatoire, supervisors and admins): what the page shows, built
from the staff queries of console/observatory/stats.py and the providers' reports of console/observatory/feedback.py.

Each chart is drawn from the same rows as the table printed under it (console/observatory/charts.py). Counts here are
exact, small ones included: the page is for signed-in staff. Its CSV and JSON exports are the published aggregates
(console/observatory/publish.py), small cells hidden, like everything that leaves the service.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from markupsafe import Markup

from bot import db, geo, knowledge, vocabulary
from bot.dossier import PAYMENT_LABELS
from bot.taxonomy import INCIDENT_INTENTS
from console.observatory import feedback, stats
from console.observatory.charts import Series, bar_chart, line_chart
from console.observatory.journeys import RATINGS, WAIT_BUCKETS
from console.observatory.stats import UNKNOWN, Filters
from console.review import CHANNEL_LABELS, incident_label

DEFAULT_DAYS = 90
MAX_DAYS = 3 * 366  # a longer period is cut to this: the page stays fast and readable
DAILY_UP_TO = 92  # a longer period is drawn per week
LINES = 6  # incidents drawn one by one; the others are added up as "Autres"
TOP = 10
UNKNOWN_LABEL = "Non précisé"
FACT_LABELS = {"platform": "Plateformes citées", "payment_means": "Moyens de paiement"}


class BadFilters(ValueError):
    """A filter the page cannot read: answered with the page's defaults and a message, never a 500."""


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadFilters("Date invalide : utilisez le format AAAA-MM-JJ.") from None


def read_filters(args: Mapping[str, str], today: date) -> Tuple[Filters, Optional[str]]:
    """The filters of a request (`du`, `au`, `public`, `canal`, `region`), and a message when one was not usable."""
    message = None
    try:
        until = _day(args["au"]) if args.get("au") else today
        since = _day(args["du"]) if args.get("du") else until - timedelta(days=DEFAULT_DAYS - 1)
        if since > until:
            raise BadFilters("La date de début est après la date de fin.")
    except BadFilters as error:
        message, until, since = str(error), today, today - timedelta(days=DEFAULT_DAYS - 1)
    until = min(until, today)
    if (until - since).days + 1 > MAX_DAYS:
        since = until - timedelta(days=MAX_DAYS - 1)
        message = message or f"La période est limitée à {MAX_DAYS} jours."
    public, channel, region = (args.get(k) or "" for k in ("public", "canal", "region"))
    filters = Filters(since=since, until=until, public=public, channel=channel, region=region).valid()
    if region and region not in (*geo.regions(), UNKNOWN):
        filters = Filters(since=filters.since, until=filters.until, public=filters.public, channel=filters.channel)
        message = message or "Région inconnue : toutes les régions sont affichées."
    return filters, message


def _label(kind: str, key: str) -> str:
    if key == UNKNOWN or key == "":
        return UNKNOWN_LABEL
    if kind == "incident":  # the advice sheet's title ("Fraude au faux conseiller bancaire") reads best in a legend
        sheet = knowledge.load().sheets.get(key)
        return sheet.title if sheet else incident_label(key)
    if kind == "public":
        return vocabulary.PUBLICS[key].label.capitalize() if key in vocabulary.PUBLICS else key
    if kind == "channel":
        return CHANNEL_LABELS.get(key, key)
    return key


@dataclass
class Chart:
    """A chart and the table it draws: `columns` heads the table, `rows` fill it (first cell a label)."""

    key: str
    title: str
    svg: Markup
    columns: Sequence[str]
    rows: List[List[Any]]


def _weekly(filters: Filters) -> bool:
    return (filters.until - filters.since).days >= DAILY_UP_TO


def _periods(filters: Filters) -> List[date]:
    """The x axis: every day of the period, or every week's Monday when the period is long."""
    weekly = _weekly(filters)
    start, step = _period_of(filters.since, weekly), timedelta(days=7 if weekly else 1)
    days = []
    while start <= filters.until:
        days.append(start)
        start += step
    return days


def _period_of(day: date, weekly: bool) -> date:
    return day - timedelta(days=day.weekday()) if weekly else day


def over_time(rows: Sequence[Tuple[date, str, int]], filters: Filters, kind: str, title: str) -> Chart:
    """Journeys per day (or week), one line per key; beyond LINES keys, the smallest are added up as "Autres"."""
    periods = _periods(filters)
    weekly = _weekly(filters)
    totals: Dict[str, int] = defaultdict(int)
    for _, key, count in rows:
        totals[key] += count
    ranked = sorted(totals, key=lambda k: (-totals[k], k))
    shown, others = ranked[:LINES], set(ranked[LINES:])
    grid: Dict[str, Dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for day, key, count in rows:
        grid["Autres" if key in others else key][_period_of(day, weekly)] += count
    keys = shown + (["Autres"] if others else [])
    labels = {key: "Autres" if key == "Autres" else _label(kind, key) for key in keys}
    x_labels = [day.strftime("%d/%m") for day in periods]
    series = [Series(labels[key], [grid[key].get(day, 0) for day in periods]) for key in keys]
    unit = "Semaine du" if weekly else "Jour"
    table = [[day.strftime("%d/%m/%Y")] + [grid[key].get(day, 0) for key in keys] for day in periods]
    return Chart(f"time-{kind}", title, line_chart(title, x_labels, series), [unit] + [labels[k] for k in keys], table)


def _bars(key: str, title: str, items: Sequence[Tuple[str, int]], extra: Optional[Dict[str, str]] = None) -> Chart:
    rows = [[label, count] + ([extra[label]] if extra else []) for label, count in items]
    columns = ["", "Parcours"] + (["Part"] if extra else [])
    return Chart(key, title, bar_chart(title, items), columns, rows)


def _percent(share: float) -> str:
    return f"{share * 100:.1f} %".replace(".", ",")


@dataclass
class Figures:
    """What the page reads from the database for one choice of filters: three queries on the rollups."""

    by_incident: List[Tuple[date, str, int]]
    by_public: List[Tuple[date, str, int]]
    facts: Dict[str, Dict[str, int]]


def read(connection: Any, filters: Filters) -> Figures:
    """The page's queries (make bench-observatory-stats times them): totals and shares are sums of the series."""
    return Figures(
        stats.series(connection, filters, "incident"),
        stats.series(connection, filters, "public"),
        stats.all_facts(connection, filters),
    )


def _shares(rows: Sequence[Tuple[date, str, int]]) -> List[Tuple[str, int, float]]:
    totals: Dict[str, int] = defaultdict(int)
    for _, key, count in rows:
        totals[key] += count
    whole = sum(totals.values())
    ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
    return [(key, n, n / whole if whole else 0.0) for key, n in ranked]


def _top(counts: Mapping[str, int], total: int) -> List[Tuple[str, int, float]]:
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:TOP]
    return [(value, n, n / total if total else 0.0) for value, n in ranked]


def build(filters: Filters, url: Optional[str] = None) -> Dict[str, Any]:
    """Everything the page shows for these filters."""
    with db.engine(url).connect() as connection:
        figures = read(connection, filters)
    incident_shares, public_shares = _shares(figures.by_incident), _shares(figures.by_public)
    total = sum(n for _, n, _ in incident_shares)
    handed = figures.facts.get("handed_over", {}).get("oui", 0)
    paid = figures.facts.get("money_paid", {}).get("oui", 0)
    charts = [
        over_time(figures.by_incident, filters, "incident", "Parcours par incident"),
        over_time(figures.by_public, filters, "public", "Parcours par public"),
    ]
    shares_of = {_label("incident", k): _percent(s) for k, _, s in incident_shares}
    charts.append(
        _bars(
            "shares", "Part de chaque incident", [(_label("incident", k), n) for k, n, _ in incident_shares], shares_of
        )
    )
    publics = {_label("public", k): _percent(s) for k, _, s in public_shares}
    charts.append(
        _bars("publics", "Part de chaque public", [(_label("public", k), n) for k, n, _ in public_shares], publics)
    )
    for kind, title in FACT_LABELS.items():
        named = [(_fact_label(kind, v), n, s) for v, n, s in _top(figures.facts.get(kind, {}), total)]
        charts.append(_bars(kind, title, [(v, n) for v, n, _ in named], {v: _percent(s) for v, _, s in named}))
    waits = figures.facts.get("wait", {})
    charts.append(
        _bars(
            "wait",
            "Attente avant la prise en charge par un conseiller",
            [(label, waits.get(label, 0)) for _, label in WAIT_BUCKETS],
        )
    )
    ratings = figures.facts.get("rating", {})
    charts.append(
        _bars("ratings", "Notes données par les victimes", [(_rating(r), ratings.get(r, 0)) for r in RATINGS])
    )
    reported = feedback.summary(filters.since, filters.until, public=filters.public or None, url=url)
    return {
        "total": total,
        "handed_over": handed,
        "money_paid": paid,
        "handed_share": _percent(handed / total) if total else "–",
        "paid_share": _percent(paid / total) if total else "–",
        "charts": charts,
        "provider_reports": [
            (_label("incident", r.incident), feedback.OUTCOMES.get(r.outcome, r.outcome), r.count) for r in reported
        ],
    }


def _fact_label(kind: str, value: str) -> str:
    return PAYMENT_LABELS.get(value, value).capitalize() if kind == "payment_means" else value


def _rating(value: str) -> str:
    return {"up": "Utile (pouce levé)", "down": "Pas utile (pouce baissé)"}.get(value, f"{value} / 5")


def choices() -> Dict[str, List[Tuple[str, str]]]:
    """The filters' lists, as (value, label)."""
    return {
        "publics": [(k, _label("public", k)) for k in vocabulary.PUBLIC_KEYS] + [(UNKNOWN, UNKNOWN_LABEL)],
        "channels": [(k, _label("channel", k)) for k in vocabulary.CHANNELS],
        "regions": [(r, r) for r in geo.regions()] + [(UNKNOWN, UNKNOWN_LABEL)],
        "incidents": [(k, _label("incident", k)) for k in INCIDENT_INTENTS],
    }
