"""The observatory's command line (a stable interface: README, "Observatory"; field names fixed).

    python -m console.observatory stats --days N [--json]   # exact counts per day and incident (staff only)
    python -m console.observatory export --csv FILE [--days N]   # the published aggregates, small cells hidden
    python -m console.observatory refresh                    # fold the new tracker events now (the server does it
                                                             # every OBSERVATORY_REFRESH_SECONDS)
    python -m console.observatory alerts [--days N] [--json] # waves and campaigns not dismissed, last N days (14)

It reads DATABASE_URL like the server and works while the server runs (SQLite and PostgreSQL): reads see the last
committed refresh, and a refresh by hand takes turns with the server's (console/observatory/refresh.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

from bot import db
from console import auth
from console.observatory import detect, feedback, publish, refresh, stats

MAX_DAYS = 3660


def _days(value: str) -> int:
    try:
        days = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"« {value} » n'est pas un nombre de jours") from None
    if not 1 <= days <= MAX_DAYS:
        raise argparse.ArgumentTypeError(f"le nombre de jours doit être entre 1 et {MAX_DAYS}")
    return days


def _breakdown(counts: Dict[str, int]) -> str:
    return ", ".join(f"{key} {n}" for key, n in sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def describe(report: Dict[str, Any]) -> str:
    """The report for a person, in French."""
    refreshed = report["refreshed_at"] or "jamais"
    lines = [
        f"Parcours du {report['since']} au {report['until']} ({report['days']} jours) : {report['total']} au total "
        f"(dernière mise à jour : {refreshed}).",
    ]
    if report["rows"]:
        lines.append(f"{'jour':<11} {'incident':<26} {'parcours':>8}  publics ; canaux")
    for row in report["rows"]:
        lines.append(
            f"{row['day']:<11} {row['incident']:<26} {row['journeys']:>8}  "
            f"{_breakdown(row['by_public'])} ; {_breakdown(row['by_channel'])}"
        )
    return "\n".join(lines)


KINDS_FR = {"wave": "vague", "campaign": "campagne"}


def describe_alerts(found: List[Dict[str, Any]]) -> str:
    if not found:
        return "Aucune alerte en cours."
    lines = []
    for alert in found:
        expected = f" (attendu : {alert['baseline']:.1f})" if alert["kind"] == "wave" else ""
        lines.append(
            f"#{alert['id']} {KINDS_FR.get(alert['kind'], alert['kind'])} {alert['incident']} : {alert['count']}"
            f"{expected}, du {alert['first_at']} au {alert['last_at']}, {alert['state']}"
        )
        if alert["sample"]:
            lines.append(f"    « {alert['sample']} »")
    return "\n".join(lines)


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m console.observatory", description="Statistiques de l'observatoire."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    report = commands.add_parser("stats", help="parcours par jour et par incident (comptes exacts, pour l'équipe)")
    report.add_argument("--days", type=_days, default=7, help="les N derniers jours, aujourd'hui compris (7)")
    report.add_argument("--json", action="store_true", help="le document JSON (champs stables, voir le README)")
    export = commands.add_parser("export", help="les agrégats publiés (cellules de moins de 5 parcours masquées)")
    export.add_argument("--csv", type=Path, required=True, metavar="FILE")
    export.add_argument("--days", type=_days, default=None, help="les N derniers jours (par défaut : tout)")
    commands.add_parser("refresh", help="intégrer maintenant les nouveaux événements")
    alerts = commands.add_parser("alerts", help="vagues et campagnes en cours (non écartées)")
    alerts.add_argument("--days", type=_days, default=14, help="vues dans les N derniers jours (14)")
    alerts.add_argument("--json", action="store_true", help="le document JSON (champs stables, voir le README)")
    providers = commands.add_parser(
        "feedback", help="retours des prestataires : import FICHIER.csv | liens FICHIER.csv", add_help=False
    )
    providers.add_argument("rest", nargs=argparse.REMAINDER)  # console/observatory/feedback.py reads them
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["feedback"]:  # its own parser, options included
        return feedback.main(argv[1:])
    args = parser().parse_args(argv)
    engine = db.engine()
    refresh.ensure_schema(engine)
    if args.command == "stats":
        with engine.connect() as connection:
            report = stats.daily_report(connection, args.days)
        print(json.dumps(report, ensure_ascii=False, indent=1) if args.json else describe(report))
    elif args.command == "export":
        filters = stats.Filters.last_days(args.days) if args.days else None
        with engine.connect() as connection:
            cells = publish.rows(connection, filters)
        written = publish.write_csv(cells, args.csv)
        db.create_all()  # the audit log, on a database the server never started on
        auth.audit(None, "observatory_export", f"{written} ligne(s)")
        print(
            f"{written} ligne(s) écrite(s) dans {args.csv} "
            f"(les cellules de moins de {publish.MIN_CELL} parcours ne sont pas exportées)."
        )
    elif args.command == "alerts":
        detect.ensure_schema(engine)
        with engine.connect() as connection:
            found = detect.current_alerts(connection, args.days)
        print(json.dumps(found, ensure_ascii=False, indent=1) if args.json else describe_alerts(found))
    else:
        print(f"{refresh.refresh_now(engine)} événement(s) lu(s).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
