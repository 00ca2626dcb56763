"""The conversation never dies: seeded random walks and every incident's follow-ups, through the real servers.

See tests/support/fuzzer.py for the walks and the properties checked on every turn. FUZZ_SECONDS (default 100)
bounds the random walks in `make test`; FUZZ_SEED changes the seed. `make bench-dialogue` runs more.
"""

import os
import random

import pytest

from bot import knowledge
from bot.taxonomy import INCIDENT_INTENTS
from tests.conftest import Bot
from tests.support import fuzzer

SEED = int(os.environ.get("FUZZ_SEED", "2026"))
SECONDS = float(os.environ.get("FUZZ_SECONDS", "100"))
NOT_UNDERSTOOD = "Je n'ai pas bien compris"


def test_random_walks_never_kill_the_conversation(bot: Bot):
    stats = fuzzer.run_walks(bot.say, SEED, SECONDS)
    print(f"fuzzer: {stats}")
    assert stats["walks"] >= 10 and stats["advised"] >= stats["walks"] // 2, stats
    assert "Circuit breaker" not in bot.log.read_text()


# The issue's own list: these must always get an acknowledgement and the next steps (or "avec plaisir").
REACTIONS = ["oui", "non", "ok", "d'accord", "merci", "👍", "je ne sais pas"]


@pytest.mark.parametrize("incident", INCIDENT_INTENTS)
def test_after_the_advice_every_kind_of_follow_up_gets_a_sensible_answer(bot: Bot, incident):
    """Yes / no / ok / thanks / an emoji get an acknowledgement; one held-out follow-up of each kind
    (tests/dialogue/followups.yml) gets an answer that is not the generic "describe it again". How often the held-out
    follow-ups get the answer a kind operator would give is measured by `make bench-dialogue`."""
    rng = random.Random(f"{SEED}-{incident}")
    walker = fuzzer.Walker(bot.say, rng, web=rng.random() < 0.3)
    fuzzer.advise(walker, incident, knowledge.load().sheets[incident].publics[0])
    for message in rng.sample(REACTIONS, len(REACTIONS)):
        shown = "\n".join(fuzzer.texts(walker.send(message)))
        assert fuzzer.sensible("acknowledge", shown), f"{message!r} -> {shown}"
    for category in ("acknowledge", "complaint", "definition", "worry", "bot_challenge", "new_fact", "recap", "place"):
        item = rng.choice(fuzzer.FOLLOWUPS[category])
        message = item["text"] if isinstance(item, dict) else item
        shown = "\n".join(fuzzer.texts(walker.send(message)))
        assert NOT_UNDERSTOOD not in shown, f"{message!r} -> {shown}"
    assert "Circuit breaker" not in bot.log.read_text()


def test_a_conversation_left_stuck_by_the_circuit_breaker_is_repaired_on_its_next_message(bot: Bot):
    """A tracker stored by an older version after Rasa's circuit breaker (ten actions, no action_listen) answered
    every later message with the safety reply. It is repaired on its next message: facts kept, one warning with
    the id masked."""
    import asyncio

    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered

    sender = "+33612345699"  # a REST caller using phone numbers as ids: the log must not show it
    walker = fuzzer.Walker(bot.say, random.Random(SEED))
    walker.sender = sender
    fuzzer.advise(walker, "piratage_compte", "particulier")

    async def break_it() -> None:
        store = SQLTrackerStore(host=bot.database_url)
        tracker = await store.retrieve(Bot.conversation_id(sender))
        tracker.update(UserUttered("oui", {"name": "affirm", "confidence": 1.0}))
        for _ in range(10):
            tracker.update(ActionExecuted("action_not_understood"))
            tracker.update(BotUttered("Je n'ai pas bien compris."))
        await store.save(tracker)

    asyncio.run(break_it())
    replies = bot.say(sender, "bonjour")
    assert replies and fuzzer.check_turn("bonjour", replies) is None
    recap = Bot.text(bot.say(sender, "vous pouvez me renvoyer le récapitulatif ?"))
    assert recap.startswith("Récapitulatif – Piratage de compte")
    log = bot.log.read_text()
    assert log.count("did not end its last turn") == 1 and "612345699" not in log
