"""Command line for the provider directory: `python -m bot.providers seed|import FILE|export FILE`.

Works on DATABASE_URL (default: the SQLite file under var/), like the servers. Messages are in French: staff run it.
"""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional

from bot import db
from bot.providers import csvio, seed


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.providers", description="Annuaire des prestataires.")
    commands = parser.add_subparsers(dest="command", required=True)
    seed_parser = commands.add_parser("seed", help="crée les prestataires fictifs de démonstration")
    seed_parser.add_argument("--if-empty", action="store_true", help="seulement si l'annuaire est vide")
    import_parser = commands.add_parser("import", help="importe un annuaire CSV")
    import_parser.add_argument("file")
    import_parser.add_argument("--replace", action="store_true", help="remplace tout l'annuaire par ce fichier")
    import_parser.add_argument("--dry-run", action="store_true", help="vérifie le fichier sans rien enregistrer")
    import_parser.add_argument(
        "--drop-demo", action="store_true", help="retire les prestataires fictifs de démonstration"
    )
    export_parser = commands.add_parser("export", help="exporte l'annuaire en CSV (« - » : sortie standard)")
    export_parser.add_argument("file")
    args = parser.parse_args(argv)

    db.create_all()
    if args.command == "seed":
        count = seed.seed(if_empty=args.if_empty)
        if count:
            print(f"{count} prestataires fictifs de démonstration créés (les prestataires réels sont conservés).")
        else:
            print("L'annuaire n'est pas vide : aucun prestataire de démonstration ajouté.")
        return 0
    if args.command == "import":
        report = csvio.import_csv(args.file, replace=args.replace, dry_run=args.dry_run, drop_demo=args.drop_demo)
        print(report.text())
        return 1 if report.fatal else 2 if report.rejected else 0
    if args.file == "-":
        count = csvio.export_csv(sys.stdout)
    else:
        count = csvio.export_csv(args.file)
        print(f"{count} prestataires exportés dans {args.file}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
