"""What following the assistant by SMS costs a victim, for every incident (issue 16, `make bench-sms`).

    .venv/bin/python benchmarks/bench_sms.py [--modes twiml rest] [--incidents hameconnage spam] [--json FILE]

Starts its own action server and two Rasa servers (the newest model in models/, a throw-away SQLite database) with
the SMS channel on: one replies inline as TwiML (SMS_AUTH_TOKEN only), the other through the REST API of the Twilio
stand-in (tests/twilio_standin.py). Over signed webhooks, each of the 18 incidents is texted twice in each mode:
- "oui", the longest advice: the description (tests/support/victims.py) with what a victim would add where it is
  natural (money paid, still going on: OPENING_FACTS), then, to every question, the numbered choice whose title
  starts with "Oui" (the first choice when there is none);
- "nsp": the description, then "je ne sais pas" to every question.
A reply marked "SUITE pour lire la suite" is followed by SUITE until it has been read to its end (the choices come
last), as a victim must. A journey ends once the advice ("À faire tout de suite", "Fiche complète") has been read
to its end, when a reply neither asks nor advises, or after MAX_ANSWERS answers.

Per incident, path and mode: SMS received, segments (channels/sms_text.py), SUITE round trips, messages the victim
sent; in which SMS of the first reply the diagnosis's "Premier réflexe" is; in which SMS the first urgent action is
(the first "- " line after "À faire tout de suite"), counted within the advice reply and since the first message;
whether each question came with all its choices in the first SMS of its reply; whether a numbered choice list was
cut across SMS; in how many SMS the essentials of the advice were read (from its first urgent action to the link to
the full sheet: the target is 2). Prints a table and totals, and writes every figure and transcript to results/bench_sms.json.
Deterministic: fixed numbers, one victim at a time per mode, each conversation on its own.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple
from urllib.parse import urlencode

import requests
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.taxonomy import INCIDENT_INTENTS  # noqa: E402
from channels.sms_text import segments  # noqa: E402
from tests.conftest import ROOT, Server, start_action_server, start_rasa_server  # noqa: E402
from tests.operator import HANDOVER_ENV  # noqa: E402
from tests.support.victims import DESCRIPTIONS  # noqa: E402
from tests.test_sms import ACCOUNT_SID, AUTH_TOKEN, SMS_FROM, sign, twilio_form  # noqa: E402
from tests.twilio_standin import TwilioStandIn  # noqa: E402

MODES = ("twiml", "rest")
PATHS = ("oui", "nsp")
MAX_ANSWERS = 12  # answers to questions per journey (SUITE not counted): the real journeys need at most 4
MAX_SUITE = 20  # SUITE per reply
DONT_KNOW = "je ne sais pas"
STARTUP_TIMEOUT = 600  # seconds for a Rasa server to load the model: minutes on a busy 2-core machine

# What the victim adds to the description on the "oui" path, where a victim would say it at once ("j'ai payé 1,99
# euros avec ma carte"). Details given are left to the question: no description states them naturally.
OPENING_FACTS = {
    "hameconnage": ", j'ai payé 1,99 euros avec ma carte",
    "rancongiciel": ", et ça continue sur les autres postes",
    "piratage_compte": ", et des achats ont été débités sur ma carte",
    "faux_support_technique": ", j'ai appelé et j'ai payé 300 euros par carte",
    "sextorsion": ", j'ai déjà payé 200 euros et il continue de m'écrire",
    "fraude_carte_bancaire": ", 480 euros ont été débités",
    "faux_conseiller_bancaire": ", 2 000 euros ont été débités",
    "fraude_virement": ", 12 000 euros sont partis",
    "cyberharcelement": ", et ça continue encore aujourd'hui",
    "usurpation_identite": ", et des prélèvements ont commencé sur mon compte",
    "escroquerie_placement": ", j'ai investi 5 000 euros et ils me demandent encore de payer des frais",
    "arnaque_sentimentale": ", je lui ai déjà envoyé 3 000 euros et il en redemande",
    "deni_de_service": ", l'attaque continue depuis ce matin",
}

SUITE_NOTE = re.compile(r"\n?\(SUITE pour lire la suite(?:, \d+/\d+)?\)\s*$")
CHOICE = re.compile(r"^(\d{1,2})\.(?:\s+(.*))?$")
URGENT_HEADER = "À faire tout de suite"
REFLEX = "Premier réflexe"  # the diagnosis's first reflex (bot/actions/diagnosis.py)
SHEET_LINK = "Fiche complète"
ADVICE_MARKS = (URGENT_HEADER, SHEET_LINK)


class BenchError(RuntimeError):
    pass


# --- the victim's phone -----------------------------------------------------------------------------------------
def inline_messages(twiml: str) -> List[str]:
    """The <Message> bodies of a TwiML response, in order."""
    messages = []
    for element in ET.fromstring(twiml).iter("Message"):
        body = element.find("Body")
        messages.append((body.text if body is not None else element.text) or "")
    return messages


class Phone:
    """One victim's number: each message is a signed webhook; what comes back is the SMS the phone receives, inline
    (TwiML) or sent through the REST API to the stand-in while the webhook was handled."""

    def __init__(self, webhook: str, number: str, api: Optional[TwilioStandIn]) -> None:
        self.webhook, self.number, self.api = webhook, number, api
        self.fallbacks = 0  # REST mode: SMS that came back inline because the API refused them

    def send(self, body: str) -> List[str]:
        before = len(self.api.bodies_to(self.number)) if self.api else 0
        form = twilio_form(self.number, body)
        response = requests.post(
            self.webhook,
            data=urlencode(form),
            headers={
                "X-Twilio-Signature": sign(self.webhook, form),
                "Content-Type": "application/x-www-form-urlencoded",
            },
            timeout=120,
        )
        if response.status_code != 200:
            raise BenchError(f"webhook answered {response.status_code}: {response.text[:200]}")
        sent = self.api.bodies_to(self.number)[before:] if self.api else []
        inline = inline_messages(response.text)
        if self.api:
            self.fallbacks += len(inline)
        return sent + inline


# --- a journey ----------------------------------------------------------------------------------------------------
@dataclass
class Turn:
    """One message of the victim (not SUITE), and every SMS received until that reply was read to its end."""

    sent: str
    messages: List[str] = field(default_factory=list)
    suites: int = 0

    def lines(self) -> List[Tuple[int, int, str]]:
        """(index of the SMS where it starts, where it ends, line) for the reply's text, SUITE notes left out; a
        numbered choice cut after its number ("2." then "Non" in the next SMS) is read whole, across both."""
        found: List[Tuple[int, int, str]] = []
        for index, message in enumerate(self.messages):
            for line in SUITE_NOTE.sub("", message).split("\n"):
                line = line.strip()
                if not line:
                    continue
                if found and re.fullmatch(r"\d{1,2}\.", found[-1][2]) and not CHOICE.match(line):
                    found[-1] = (found[-1][0], index, f"{found[-1][2]} {line}")
                else:
                    found.append((index, index, line))
        return found

    def choices(self) -> List[Tuple[str, str]]:
        return [(m.group(1), m.group(2) or "") for _, _, line in self.lines() if (m := CHOICE.match(line))]

    def advises(self) -> bool:
        return any(mark.lower() in message.lower() for message in self.messages for mark in ADVICE_MARKS)


def oui(choices: List[Tuple[str, str]]) -> str:
    return next((number for number, title in choices if title.startswith("Oui")), choices[0][0])


def dont_know(choices: List[Tuple[str, str]]) -> str:
    return DONT_KNOW


def play(phone: Phone, opening: str, answer: Callable[[List[Tuple[str, str]]], str]) -> List[Turn]:
    turns: List[Turn] = []
    body = opening
    for _ in range(MAX_ANSWERS + 1):
        turn = Turn(body)
        exchange = phone.send(body)
        turn.messages += exchange
        while any(SUITE_NOTE.search(message) for message in exchange) and turn.suites < MAX_SUITE:
            exchange = phone.send("SUITE")
            turn.suites += 1
            turn.messages += exchange
        turns.append(turn)
        choices = turn.choices()
        if turn.advises() or not choices:
            break
        body = answer(choices)
    return turns


# --- what a journey cost ------------------------------------------------------------------------------------------
def question_layout(turn: Turn) -> Optional[Dict[str, object]]:
    """Where a reply's question (the line before the first choice) and its numbered choices fell: None when it
    offers no choice. "Répondez 1, 2 ou 3." is not a choice: left alone on the next SMS it cuts nothing."""
    lines = turn.lines()
    numbered = [i for i, (_, _, line) in enumerate(lines) if CHOICE.match(line)]
    if not numbered:
        return None
    first, last = numbered[0], numbered[-1]
    question = first - 1 if first else None
    held = [question, *numbered] if question is not None else numbered
    return {
        "question": lines[question][2] if question is not None else "",
        "in_first_sms": all(lines[i][1] == 0 for i in held),
        "cut": lines[first][0] != lines[last][1] or any(lines[i][0] != lines[i][1] for i in numbered),
        "sms_of_question": lines[question][0] + 1 if question is not None else None,
        "sms_of_choices": sorted({lines[i][k] + 1 for i in numbered for k in (0, 1)}),
    }


def urgent_position(turn: Turn) -> Optional[Tuple[int, str]]:
    """(1-based SMS of the reply, text) of the first urgent action of the advice."""
    header = False
    for index, _, line in turn.lines():
        if URGENT_HEADER.lower() in line.lower():  # "À faire tout de suite :", "Voici mes conseils, à faire…"
            header = True
        elif header and line.startswith("- "):
            return index + 1, line[2:]
    return None


def essentials_position(turn: Turn) -> Optional[int]:
    """In how many SMS the essentials of the advice were read: from the SMS where the advice starts ("à faire tout
    de suite") to the one with the link to the full sheet (the last essential: channels/sms_text.py, bot/advice.py)."""
    lines = turn.lines()
    start = next((first for first, _, line in lines if URGENT_HEADER.lower() in line.lower()), None)
    link = next((last for _, last, line in lines if SHEET_LINK in line), None)
    return None if start is None or link is None else link - start + 1


def measure(turns: List[Turn]) -> Dict[str, object]:
    messages = [message for turn in turns for message in turn.messages]
    advice = turns[-1] if turns and turns[-1].advises() else None
    asked = [(turn, question_layout(turn)) for turn in (turns[:-1] if advice else turns)]
    questions = [dict(layout, reply_to=turn.sent) for turn, layout in asked if layout]
    menus = [question_layout(turn) for turn in turns]
    menu = question_layout(advice) if advice else None
    figures: Dict[str, object] = {
        "advice_reached": advice is not None,
        "sms": len(messages),
        "segments": sum(segments(message) for message in messages),
        "suite": sum(turn.suites for turn in turns),
        "sent": len(turns) + sum(turn.suites for turn in turns),
        "questions": questions,
        "first_question_in_first_sms": questions[0]["in_first_sms"] if questions else None,
        "questions_in_first_sms": sum(1 for q in questions if q["in_first_sms"]),
        "choice_lists_cut": sum(1 for layout in menus if layout and layout["cut"]),
        "advice_menu_cut": bool(menu and menu["cut"]),
        "advice_sms": len(advice.messages) if advice else None,
        "advice_segments": sum(segments(m) for m in advice.messages) if advice else None,
        "advice_suite": advice.suites if advice else None,
        "urgent_sms_in_reply": None,
        "urgent_sms_overall": None,
        "first_urgent_action": None,
        "essentials_sms": essentials_position(advice) if advice else None,
    }
    figures["reflex_sms_in_first_reply"] = (
        next((index + 1 for index, _, line in turns[0].lines() if REFLEX in line), None) if turns else None
    )
    position = urgent_position(advice) if advice else None
    if position:
        before = sum(len(turn.messages) for turn in turns[:-1])
        figures.update(
            urgent_sms_in_reply=position[0], urgent_sms_overall=before + position[0], first_urgent_action=position[1]
        )
    return figures


def diagnosed(database_url: str, sender_id: str) -> Optional[str]:
    """The incident the assistant settled on (the last `incident` slot of the conversation)."""
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT data FROM events WHERE sender_id = :s AND type_name = 'slot' ORDER BY id"),
                {"s": sender_id},
            )
            values = [d["value"] for d in (json.loads(r.data) for r in rows) if d.get("name") == "incident"]
    finally:
        engine.dispose()
    return next((value for value in reversed(values) if value), None)


def number_for(mode: str, path: str, incident: str) -> str:
    """A fixed French mobile number per journey: the same conversations on every run."""
    return f"+336{MODES.index(mode) + 1}{PATHS.index(path) + 1}{INCIDENT_INTENTS.index(incident):02d}0016"


def opening_for(path: str, incident: str) -> str:
    return DESCRIPTIONS[incident] + (OPENING_FACTS.get(incident, "") if path == "oui" else "")


# --- servers ------------------------------------------------------------------------------------------------------
@dataclass
class SmsServer:
    """A Rasa server with the SMS channel on in one mode, and the stand-in API it sends to in REST mode."""

    mode: str
    rasa: Server
    webhook: str
    api: Optional[TwilioStandIn]

    @property
    def model(self) -> str:
        """The model the server loaded, from its log: models/ may get a newer one while the bench runs."""
        loaded = re.search(r"Loading model (\S+?)\.\.\.", self.rasa.log.read_text())
        return Path(loaded.group(1)).name if loaded else "?"

    def stop(self) -> None:
        self.rasa.stop()
        if self.api:
            self.api.stop()


def start_sms_server(mode: str, tmp: Path, database_url: str, action_url: str) -> SmsServer:
    folder = tmp / mode  # its own endpoints.yml and log: both modes start at once
    folder.mkdir()
    credentials = folder / "credentials.yml"
    credentials.write_text("channels.rest.RestInput:\nchannels.sms.SmsInput:\n")  # start_rasa_server polls REST
    api = TwilioStandIn(ACCOUNT_SID, AUTH_TOKEN).start() if mode == "rest" else None
    env = {"SMS_AUTH_TOKEN": AUTH_TOKEN, **HANDOVER_ENV}
    if api:
        env.update(SMS_API_BASE_URL=api.url, SMS_ACCOUNT_SID=ACCOUNT_SID, SMS_FROM=SMS_FROM)
    try:
        rasa, base_url = start_rasa_server(
            folder, database_url, action_url, extra_env=env, credentials=credentials, timeout=STARTUP_TIMEOUT
        )
    except BaseException:
        if api:
            api.stop()
        raise
    return SmsServer(mode, rasa, f"{base_url}/webhooks/sms/webhook", api)


def run_journeys(server: SmsServer, database_url: str, incidents: List[str]) -> List[dict]:
    """Every incident's two journeys in one mode, one victim at a time."""
    journeys = []
    for incident in incidents:
        for path in PATHS:
            number = number_for(server.mode, path, incident)
            opening = opening_for(path, incident)
            phone = Phone(server.webhook, number, server.api)
            turns = play(phone, opening, {"oui": oui, "nsp": dont_know}[path])
            journeys.append(
                {
                    "incident": incident,
                    "path": path,
                    "mode": server.mode,
                    "opening": opening,
                    "diagnosed": diagnosed(database_url, f"sms:{number}"),
                    "inline_fallbacks": phone.fallbacks,
                    **measure(turns),
                    "turns": [asdict(turn) for turn in turns],
                }
            )
    return journeys


# --- report -------------------------------------------------------------------------------------------------------
def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:g}"
    if value is True:
        return "yes"
    if value is False:
        return "NO"
    return str(value)


def print_table(journeys: List[dict]) -> None:
    header = (
        f"{'incident':25} {'path':4} {'mode':5} {'sms':>4} {'seg':>4} {'SUITE':>5} {'sent':>4} "
        f"{'reflex':>6} {'advice sms/seg':>14} {'urgent in':>10} {'Q 1st SMS':>9} {'cut':>3}  note"
    )
    print(header)
    print("-" * len(header))
    for j in journeys:
        urgent = f"{_cell(j['urgent_sms_in_reply'])} / {_cell(j['urgent_sms_overall'])}"
        asked = f"{j['questions_in_first_sms']}/{len(j['questions'])}" if j["questions"] else "-"
        advice = f"{_cell(j['advice_sms'])}/{_cell(j['advice_segments'])}"
        notes = []
        if j["diagnosed"] != j["incident"]:
            notes.append(f"diagnosed {j['diagnosed']}")
        if not j["advice_reached"]:
            notes.append("no advice")
        if j["inline_fallbacks"]:
            notes.append(f"{j['inline_fallbacks']} SMS inline (API refused)")
        print(
            f"{j['incident']:25} {j['path']:4} {j['mode']:5} {j['sms']:4} {j['segments']:4} {j['suite']:5} "
            f"{j['sent']:4} {_cell(j['reflex_sms_in_first_reply']):>6} {advice:>14} {urgent:>10} {asked:>9} {j['choice_lists_cut']:3}  {', '.join(notes)}"
        )
    print(
        "reflex: SMS of the first reply holding the first reflex; "
        "urgent in: SMS of the advice reply / SMS since the first message holding the first urgent action; "
        "Q 1st SMS: questions asked with all their choices in the first SMS of their reply; cut: choice lists cut "
        "across SMS."
    )


def _median(values: List[int]) -> Optional[float]:
    return statistics.median(values) if values else None


def summary(journeys: List[dict]) -> Dict[str, dict]:
    """Figures per mode and path, per mode, and over all journeys: sums, and medians per journey."""
    keys = [f"{m} {p}" for m in MODES for p in PATHS] + list(MODES) + ["all"]
    groups: Dict[str, List[dict]] = {key: [] for key in keys}
    for j in journeys:
        for key in (f"{j['mode']} {j['path']}", j["mode"], "all"):
            groups[key].append(j)
    result = {}
    for key, group in groups.items():
        if not group:
            continue
        advised = [j for j in group if j["advice_reached"]]
        asked = [j for j in group if j["questions"]]
        result[key] = {
            "journeys": len(group),
            "advice_reached": len(advised),
            "correctly_diagnosed": sum(1 for j in group if j["diagnosed"] == j["incident"]),
            "sms": sum(j["sms"] for j in group),
            "segments": sum(j["segments"] for j in group),
            "suite": sum(j["suite"] for j in group),
            "sent": sum(j["sent"] for j in group),
            "median_sms": _median([j["sms"] for j in group]),
            "median_segments": _median([j["segments"] for j in group]),
            "median_suite": _median([j["suite"] for j in group]),
            "median_sent": _median([j["sent"] for j in group]),
            "median_reflex_sms": _median(
                [j["reflex_sms_in_first_reply"] for j in group if j["reflex_sms_in_first_reply"]]
            ),
            "median_advice_sms": _median([j["advice_sms"] for j in advised]),
            "max_advice_sms": max((j["advice_sms"] for j in advised), default=None),
            "median_advice_segments": _median([j["advice_segments"] for j in advised]),
            "median_urgent_sms_in_reply": _median(
                [j["urgent_sms_in_reply"] for j in advised if j["urgent_sms_in_reply"]]
            ),
            "urgent_in_first_sms_of_advice": sum(1 for j in advised if j["urgent_sms_in_reply"] == 1),
            "essentials_in_two_sms": sum(1 for j in advised if j["essentials_sms"] and j["essentials_sms"] <= 2),
            "first_question_in_first_sms": sum(1 for j in asked if j["first_question_in_first_sms"]),
            "journeys_with_questions": len(asked),
            "questions_in_first_sms": sum(j["questions_in_first_sms"] for j in group),
            "questions": sum(len(j["questions"]) for j in group),
            "journeys_with_a_cut_choice_list": sum(1 for j in group if j["choice_lists_cut"]),
            "questions_cut": sum(1 for j in group for q in j["questions"] if q["cut"]),
            "advice_menus_cut": sum(1 for j in group if j["advice_menu_cut"]),
        }
    return result


def print_summary(totals: Dict[str, dict], journeys: List[dict]) -> None:
    print("\nTotals: sums over the journeys (median per journey)")
    header = (
        f"{'':10} {'journeys':>8} {'diagnosis':>9} {'advice':>6} {'SMS':>10} {'segments':>10} {'SUITE':>9} {'sent':>9} "
        f"{'reflex SMS (med)':>16} {'advice SMS med/max':>18} {'urgent in SMS (med)':>19} {'urgent in 1st':>13} {'1st Q in 1st SMS':>16} "
        f"{'all Q in 1st':>12} {'Q cut':>6} {'menus cut':>9} {'essentials in 2':>15}"
    )
    print(header)
    for key, t in totals.items():
        print(
            f"{key:10} {t['journeys']:8} {t['correctly_diagnosed']:9} {t['advice_reached']:6} {t['sms']:4} ({_cell(t['median_sms']):>4}) "
            f"{t['segments']:4} ({_cell(t['median_segments']):>4}) {t['suite']:3} ({_cell(t['median_suite']):>4}) "
            f"{t['sent']:3} ({_cell(t['median_sent']):>4}) "
            f"{_cell(t['median_reflex_sms']):>16} {_cell(t['median_advice_sms']) + ' / ' + _cell(t['max_advice_sms']):>18} "
            f"{_cell(t['median_urgent_sms_in_reply']):>19} {t['urgent_in_first_sms_of_advice']:13} "
            f"{str(t['first_question_in_first_sms']) + '/' + str(t['journeys_with_questions']):>16} "
            f"{str(t['questions_in_first_sms']) + '/' + str(t['questions']):>12} "
            f"{t['questions_cut']:6} {t['advice_menus_cut']:9} "
            f"{str(t['essentials_in_two_sms']) + '/' + str(t['advice_reached']):>15}"
        )
    print("\nWorst journeys (most SUITE, then segments):")
    ranked = sorted(journeys, key=lambda j: (-j["suite"], -j["segments"], j["incident"], j["path"]))
    for j, modes in _across_modes(ranked, ("suite", "sms", "segments", "urgent_sms_overall"))[:6]:
        print(
            f"  {j['incident']} ({j['path']}, {modes}): {j['suite']} SUITE, {j['sms']} SMS, {j['segments']} "
            f"segments, first urgent action in SMS {_cell(j['urgent_sms_overall'])}"
        )
    late = sorted(journeys, key=lambda j: (-(j["urgent_sms_overall"] or 99), j["incident"], j["path"]))
    print("Latest first urgent action (SMS since the first message):")
    for j, modes in _across_modes(late, ("urgent_sms_overall", "first_urgent_action"))[:6]:
        print(
            f"  {j['incident']} ({j['path']}, {modes}): SMS {_cell(j['urgent_sms_overall'])}: {j['first_urgent_action']}"
        )


def _across_modes(ranked: List[dict], fields: Tuple[str, ...]) -> List[Tuple[dict, str]]:
    """The journeys in order, one line for the modes of an incident and path that gave the same figures."""
    lines: List[Tuple[dict, List[str]]] = []
    seen: Dict[tuple, List[str]] = {}
    for j in ranked:
        key = (j["incident"], j["path"], *(j[name] for name in fields))
        if key in seen:
            seen[key].append(j["mode"])
        else:
            seen[key] = [j["mode"]]
            lines.append((j, seen[key]))
    return [(j, " and ".join(modes)) for j, modes in lines]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument("--incidents", nargs="+", choices=INCIDENT_INTENTS, default=list(INCIDENT_INTENTS))
    parser.add_argument("--json", type=Path, default=ROOT / "results" / "bench_sms.json")
    args = parser.parse_args()
    started = time.monotonic()
    journeys: List[dict] = []
    with tempfile.TemporaryDirectory() as folder, ThreadPoolExecutor(max_workers=len(args.modes)) as pool:
        tmp = Path(folder)
        database_url = f"sqlite:///{tmp / 'bench.db'}"
        actions, action_url = start_action_server(tmp, database_url, HANDOVER_ENV)
        print(f"action server up in {time.monotonic() - started:.0f} s", flush=True)
        # The two Rasa servers load the model side by side, then the two modes are played side by side: each
        # conversation is on its own, so the figures do not depend on it.
        starting = [pool.submit(start_sms_server, mode, tmp, database_url, action_url) for mode in args.modes]
        servers: List[SmsServer] = []
        try:
            for future in starting:
                servers.append(future.result())
            print(f"Rasa servers up at {time.monotonic() - started:.0f} s", flush=True)
            for future in [pool.submit(run_journeys, server, database_url, args.incidents) for server in servers]:
                journeys += future.result()
        finally:
            for future in starting:  # a server that came up while another failed is stopped too
                if future.exception() is None and future.result() not in servers:
                    future.result().stop()
            for server in servers:
                server.stop()
            actions.stop()
        models = sorted({server.model for server in servers})
    elapsed = time.monotonic() - started
    print_table(journeys)
    totals = summary(journeys)
    print_summary(totals, journeys)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "model": ", ".join(models),
        "elapsed_seconds": round(elapsed, 1),
        "max_answers": MAX_ANSWERS,
        "totals": totals,
        "journeys": journeys,
    }
    args.json.write_text(json.dumps(report, ensure_ascii=False, indent=1))
    print(
        f"\n{len(journeys)} journeys in {elapsed:.0f} s (model {report['model']}); figures and transcripts in {args.json}"
    )


if __name__ == "__main__":
    main()
