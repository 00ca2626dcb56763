"""Referral to providers through the real servers (REST channel): the victim describes an incident, asks for a
professional, and answers the location question with a bare city name."""

import re
import uuid

from tests.conftest import Bot
from tests.test_journey import answer_until_advice


def test_a_bare_city_answer_gets_three_offers_with_phone_numbers(bot: Bot):
    sender = f"referral-{uuid.uuid4().hex[:8]}"
    replies = bot.say(
        sender, "Mon ordinateur est bloqué, un message dit que tous mes fichiers sont chiffrés et demande une rançon"
    )
    _, replies = answer_until_advice(bot, sender, replies, "particulier", answer="non")

    replies = bot.say(sender, "je cherche un professionnel pour m'aider")
    assert "dans quelle commune ou quel département êtes-vous" in Bot.text(replies), Bot.text(replies)

    replies = bot.say(sender, "Bordeaux")
    text = Bot.text(replies)
    assert "33000 Bordeaux" in text and "(Gironde)" in text, text
    phones = re.findall(r"^Tél\. : (0\d(?: \d\d){4})$", text, re.MULTILINE)
    assert len(phones) == 3 and len(set(phones)) == 3, text
    assert not re.search(r"(?<![\d,])0 km", text) and "Je ne retrouve pas" not in text
