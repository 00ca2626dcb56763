"""Console administration commands.

    python -m console create-admin --email admin@example.org --name "Camille Martin"

The password is read from CONSOLE_ADMIN_PASSWORD when set (for scripts), otherwise asked without echo.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

import bot.handover  # noqa: F401
from bot import db
from console import auth, models  # noqa: F401  (registers the console tables)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m console")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-admin", help="create an administrator account")
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--role", default="admin", choices=models.ROLES)
    args = parser.parse_args(argv)

    db.create_all()
    password = os.environ.get("CONSOLE_ADMIN_PASSWORD") or getpass.getpass("Mot de passe (12 caractères minimum) : ")
    try:
        auth.create_user(args.email, args.name, password, args.role)
    except auth.AuthError as error:
        print(f"Compte non créé : {error}", file=sys.stderr)
        return 1
    print(f"Compte {args.role} créé pour {args.email}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
