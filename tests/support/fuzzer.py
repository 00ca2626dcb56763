"""A conversation fuzzer: seeded random walks through the real servers, checking every turn.

Each walk picks an incident and a public, describes the incident, then mixes answers to the questions (buttons or
typed), yes / no / ok anywhere, out-of-place requests typed as text, corrections, held-out follow-ups
(tests/dialogue/followups.yml), empty and junk messages. Properties checked on every turn:

- at least one reply (a walk never hands the conversation to an operator who takes it, so silence is a failure);
- no text repeated within one reply (the signature of an action loop);
- never the safety reply (no fault is injected here);
- a walk that only answers and interjects (no exit such as asking for a person or starting over) reaches the advice.

The server log is checked for Rasa's circuit breaker by the callers. `make bench-dialogue` runs more walks and the
follow-ups of every incident after the advice (benchmarks/bench_dialogue.py); tests/test_dialogue_fuzzer.py runs a
few minutes of them in `make test`. A failing walk raises with its transcript.
"""

from __future__ import annotations

import random
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import yaml

from bot import knowledge
from bot.taxonomy import INCIDENT_INTENTS
from channels.common import SAFETY_REPLY
from tests.support.victims import DESCRIPTIONS

FOLLOWUPS = yaml.safe_load((Path(__file__).resolve().parent.parent / "dialogue" / "followups.yml").read_text())
QUESTION_STARTS = (
    "Pour adapter mes conseils",
    "Avez-vous payé",
    "Avez-vous communiqué",
    "Avez-vous installé",
    "Est-ce toujours",
    "Un mineur",
    "Des données personnelles",
)
ADVICE_MARK = "Que souhaitez-vous faire maintenant"
DESCRIBE_AGAIN = "Décrivez-moi en quelques mots ce qui vous arrive"
# The title of each public's button under the public question (domain.yml, utter_ask_public).
PUBLIC_BUTTONS = {
    "particulier": "À titre personnel",
    "entreprise": "Entreprise ou association",
    "collectivite": "Collectivité ou administration",
}
ANSWERS = ["oui", "non", "je sais pas", "ouais", "nan", "jsp", "oui je crois", "non pas du tout"]
INTERJECTIONS = [
    "ok",
    "d'accord",
    "hmm",
    "👍",
    "",
    "   ",
    "??",
    "asdfghjkl",
    "merci",
    "c'est quoi PHAROS ?",
    "j'ai peur",
    "vous êtes un robot ?",
    "\x00\x01",
    "ok " * 300,
    "bonjour",
    "vous pouvez me renvoyer le récapitulatif ?",
    "/restart",
    '/inform{"money_paid":true}',
]
# Requests that legitimately leave the questions: the walk stops expecting the advice after them.
EXITS = [
    "je veux parler à quelqu'un",
    "comment me protéger à l'avenir ?",
    "au revoir",
    "je cherche un professionnel pour m'aider",
    "recommencer",
]


class WalkFailed(AssertionError):
    pass


def texts(replies: List[dict]) -> List[str]:
    return [(reply.get("text") or "").strip() for reply in replies if (reply.get("text") or "").strip()]


def check_turn(message, replies: List[dict]) -> Optional[str]:
    """The property this turn breaks, or None."""
    shown = texts(replies)
    if not replies:
        return "no reply"
    if any(text == SAFETY_REPLY for text in shown):
        return "safety reply"
    repeated = [text for text, count in Counter(shown).items() if count > 1]
    if repeated:
        return f"text repeated in one reply: {repeated[0][:80]!r}"
    return None


def offered(replies: List[dict]) -> Dict[str, str]:
    """Title -> payload of the buttons of a turn."""
    return {b["title"]: b["payload"] for r in replies for b in r.get("buttons") or [] if b.get("payload")}


def pending_question(replies: List[dict]) -> bool:
    last = texts(replies)[-1] if texts(replies) else ""
    return last.startswith(QUESTION_STARTS)


class Walker:
    """Talks to the servers through `say(sender, message) -> replies` and records the transcript."""

    def __init__(self, say: Callable[[str, object], List[dict]], rng: random.Random, web: bool = False):
        self.say = say
        self.rng = rng
        self.sender = f"web:{uuid.uuid4()}" if web else f"fuzz-{uuid.uuid4().hex[:10]}"
        self.transcript: List[Tuple[object, List[str]]] = []
        self.turns = 0

    def send(self, message) -> List[dict]:
        replies = self.say(self.sender, message)
        self.turns += 1
        self.transcript.append((message, texts(replies)))
        problem = check_turn(message, replies)
        if problem:
            self.fail(problem)
        return replies

    def press_any(self, replies: List[dict]) -> List[dict]:
        buttons = [b for reply in replies for b in reply.get("buttons") or [] if b.get("payload")]
        return self.send(self.rng.choice(buttons)["payload"]) if buttons else self.send("oui")

    def fail(self, problem: str) -> None:
        lines = [f"walk {self.sender} failed: {problem}"]
        for message, shown in self.transcript:
            lines.append(f"  victim: {str(message)[:120]!r}")
            lines += [f"    bot: {text[:160]!r}" for text in shown]
        raise WalkFailed("\n".join(lines))

    def walk(self, incident: str, public: str, answers_budget: int = 12, max_turns: int = 40) -> bool:
        """One walk; True when it reached the advice. Unless the walk took an exit, the advice must come within
        `answers_budget` answers (buttons or typed) after the latest description; interjections do not count."""
        replies = self.send(DESCRIPTIONS[incident])
        exited, answers = False, 0
        while self.turns < max_turns:
            if ADVICE_MARK in "\n".join(texts(replies)):
                return True
            if not exited and answers >= answers_budget:
                self.fail(f"no advice after {answers} answers")
            if DESCRIBE_AGAIN in "\n".join(texts(replies)) and not pending_question(replies):
                # The case is gone (the victim started over, or typed "restart"): a victim describes it again.
                exited, answers = False, 0
                replies = self.send(DESCRIPTIONS[incident])
                continue
            roll = self.rng.random()
            if roll < 0.15:
                replies = self.send(self.rng.choice(INTERJECTIONS))
            elif roll < 0.2:
                exited = True
                replies = self.send(self.rng.choice(EXITS))
                if self.rng.random() < 0.5:  # and sometimes comes back to the incident
                    exited, answers = False, 0
                    replies = self.send(DESCRIPTIONS[incident])
            elif roll < 0.25:
                replies = self.send(self.rng.choice(FOLLOWUPS["new_fact"])["text"])
            elif pending_question(replies) and "titre personnel" in texts(replies)[-1]:
                answers += 1
                replies = (
                    self.send(offered(replies)[PUBLIC_BUTTONS[public]])
                    if self.rng.random() < 0.7
                    else self.send(
                        {"particulier": "perso", "entreprise": "c'est pour ma boite", "collectivite": "une mairie"}[
                            public
                        ]
                    )
                )
            elif pending_question(replies):
                answers += 1
                replies = self.press_any(replies) if self.rng.random() < 0.4 else self.send(self.rng.choice(ANSWERS))
            else:
                answers += 1
                replies = self.press_any(replies) if self.rng.random() < 0.3 else self.send(self.rng.choice(ANSWERS))
        if not exited:
            self.fail(f"no advice after {self.turns} turns")
        return False

    def after_advice(self, messages: List[str]) -> Counter:
        """Sends follow-ups after the advice; returns how the bot answered them (for the benchmark)."""
        outcomes: Counter = Counter()
        for message in messages:
            replies = self.send(message)
            joined = "\n".join(texts(replies))
            outcomes["not understood" if "Je n'ai pas bien compris" in joined else "answered"] += 1
        return outcomes


def cases() -> List[Tuple[str, str]]:
    sheets = knowledge.load().sheets
    return [(incident, public) for incident in INCIDENT_INTENTS for public in sheets[incident].publics]


def followup_messages(rng: random.Random, count: int) -> List[Tuple[str, str]]:
    """`count` held-out follow-ups as (category, text), drawn across the categories that keep the advice state."""
    pool: List[Tuple[str, str]] = []
    for category in (
        "acknowledge",
        "new_fact",
        "place",
        "complaint",
        "definition",
        "worry",
        "bot_challenge",
        "recap",
        "junk",
    ):
        for item in FOLLOWUPS[category]:
            pool.append((category, item["text"] if isinstance(item, dict) else item))
    return rng.sample(pool, min(count, len(pool)))


def run_walks(say, seed: int, seconds: float, web_share: float = 0.25) -> Dict[str, int]:
    rng = random.Random(seed)
    stats: Counter = Counter()
    deadline = time.monotonic() + seconds
    all_cases = cases()
    rng.shuffle(all_cases)
    index = 0
    while time.monotonic() < deadline:
        incident, public = all_cases[index % len(all_cases)]
        index += 1
        walker = Walker(say, rng, web=rng.random() < web_share)
        stats["walks"] += 1
        if walker.walk(incident, public):
            stats["advised"] += 1
            walker.after_advice([text for _, text in followup_messages(rng, 3)])
        stats["turns"] += walker.turns
    return dict(stats)


def advise(walker: Walker, incident: str, public: str) -> List[dict]:
    """The plain path to the advice: the description, the public's button, "non" to the other questions."""
    replies = walker.send(DESCRIPTIONS[incident])
    for _ in range(8):
        if ADVICE_MARK in "\n".join(texts(replies)):
            return replies
        buttons, title = offered(replies), PUBLIC_BUTTONS[public]
        replies = walker.send(buttons[title]) if title in buttons else walker.send("non")
    walker.fail("no advice on the plain path")
    return replies


# What a kind operator's answer to each kind of follow-up contains (held-out categories of followups.yml).
SENSIBLE = {
    "acknowledge": ("Que souhaitez-vous faire maintenant", "Avec plaisir", "Prenez soin de vous"),
    "new_fact": ("C'est noté", "Récapitulatif", "Voici ce qui change", "Que souhaitez-vous faire"),
    "place": ("professionnels", "commune", "département", "code postal"),
    "complaint": ("plainte",),
    "definition": ("En savoir plus", "Je n'ai pas d'explication toute prête"),
    "worry": ("vous n'y êtes pour rien", "conseiller"),
    "bot_challenge": ("assistant automatique",),
    "recap": ("Récapitulatif",),
}


def sensible(category: str, shown: str) -> bool:
    return any(mark in shown for mark in SENSIBLE.get(category, ("",)))
