"""Console administration commands.

    python -m console create-admin --email admin@example.org --name "Camille Martin"
    python -m console deactivate --email camille@example.org      # her sessions end at once
    python -m console reactivate --email camille@example.org
    python -m console set-role --email camille@example.org --role supervisor
    python -m console reset-password --email camille@example.org [--generate]   # closes her sessions
    python -m console reset-2fa --email camille@example.org       # a lost phone: she enrols again at sign-in
    python -m console sign-out --email camille@example.org        # every session, every browser

A password is read from CONSOLE_ADMIN_PASSWORD when set (for scripts), otherwise asked without echo; with
--generate, one is made and printed once. The console refuses to deactivate or demote the last active admin. Every
change is in the audit log (by "système").
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import Callable, Dict

import bot.handover  # noqa: F401
from bot import db
from console import accounts, auth, models  # noqa: F401  (registers the console tables)

PASSWORD_PROMPT = "Mot de passe (12 caractères minimum) : "


def _password() -> str:
    return os.environ.get("CONSOLE_ADMIN_PASSWORD") or getpass.getpass(PASSWORD_PROMPT)


def _create(args: argparse.Namespace) -> str:
    try:
        auth.create_user(args.email, args.name, _password(), args.role)
    except auth.AuthError as error:
        raise accounts.AccountError(f"Compte non créé : {error}") from error
    return f"Compte {args.role} créé pour {args.email}."


def _deactivate(args: argparse.Namespace, user_id: int) -> str:
    accounts.set_active(None, user_id, False)
    return f"Compte de {args.email} désactivé, ses sessions sont fermées."


def _reactivate(args: argparse.Namespace, user_id: int) -> str:
    accounts.set_active(None, user_id, True)
    return f"Compte de {args.email} réactivé."


def _set_role(args: argparse.Namespace, user_id: int) -> str:
    accounts.set_role(None, user_id, args.role)
    return f"Rôle de {args.email} : {args.role}."


def _reset_password(args: argparse.Namespace, user_id: int) -> str:
    password = accounts.reset_password(None, user_id, None if args.generate else _password())
    shown = f" Mot de passe temporaire (affiché une seule fois) : {password}" if args.generate else ""
    return f"Mot de passe de {args.email} réinitialisé, ses sessions sont fermées.{shown}"


def _reset_two_factor(args: argparse.Namespace, user_id: int) -> str:
    accounts.reset_two_factor(None, user_id)
    return f"Double authentification de {args.email} réinitialisée : nouvelle activation à la prochaine connexion."


def _sign_out(args: argparse.Namespace, user_id: int) -> str:
    closed = accounts.sign_out_everywhere(None, user_id)
    return f"{closed} session(s) de {args.email} fermée(s)."


CHANGES: Dict[str, Callable[[argparse.Namespace, int], str]] = {
    "deactivate": _deactivate,
    "reactivate": _reactivate,
    "set-role": _set_role,
    "reset-password": _reset_password,
    "reset-2fa": _reset_two_factor,
    "sign-out": _sign_out,
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m console")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-admin", help="create an administrator account")
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--role", default="admin", choices=models.ROLES)
    helps = {
        "deactivate": "deactivate an account (its sessions end)",
        "reactivate": "reactivate an account",
        "set-role": "change an account's role",
        "reset-password": "set a temporary password (its sessions end)",
        "reset-2fa": "forget an account's TOTP secret (it enrols again)",
        "sign-out": "close every session of an account",
    }
    for name, text in helps.items():
        command = commands.add_parser(name, help=text)
        command.add_argument("--email", required=True)
        if name == "set-role":
            command.add_argument("--role", required=True, choices=models.ROLES)
        if name == "reset-password":
            command.add_argument("--generate", action="store_true", help="make a password and print it once")
    return parser


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    db.create_all()
    try:
        if args.command == "create-admin":
            print(_create(args))
            return 0
        user_id = accounts.find(args.email)
        if user_id is None:
            raise accounts.AccountError(f"aucun compte pour {args.email}")
        print(CHANGES[args.command](args, user_id))
    except accounts.AccountError as error:
        print(str(error) if args.command == "create-admin" else f"Refusé : {error}.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
