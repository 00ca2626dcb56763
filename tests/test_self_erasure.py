"""The privacy notice and the victim's own erasure over the REST channel, against the real servers (the web chat,
Telegram and SMS have theirs in their own test modules)."""

import uuid

import sqlalchemy as sa

NOTICE = "Bon à savoir"


def new_sender() -> str:
    return f"erasure-{uuid.uuid4().hex[:12]}"


def stored(bot, sender: str) -> int:
    engine = sa.create_engine(bot.database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(
                sa.text("SELECT count(*) FROM events WHERE sender_id = :s"), {"s": bot.conversation_id(sender)}
            ).scalar()
    finally:
        engine.dispose()


def test_the_notice_comes_once_after_the_first_replies(bot):
    sender = new_sender()
    first = bot.say(sender, "j'ai reçu un sms de l'assurance maladie avec un lien")
    assert NOTICE in first[-1]["text"] and "/confidentialite" in first[-1]["text"]
    assert NOTICE not in bot.text(first[:-1]), "the answer comes first"
    assert NOTICE not in bot.text(bot.say(sender, "non"))


def test_after_an_emergency_the_notice_waits_for_the_next_turn(bot):
    sender = new_sender()
    first = bot.say(sender, "il menace de venir chez moi avec un couteau")
    assert "17" in bot.text(first) and NOTICE not in bot.text(first)
    assert NOTICE in bot.text(bot.say(sender, "il m'envoie des messages sur instagram"))


def test_erasure_mid_questions_asks_then_erases_everything(bot):
    sender = new_sender()
    bot.say(sender, "on a piraté mon compte gmail, j'ai donné mon mot de passe")
    asked = bot.say(sender, "je veux que vous effaciez mes données")
    assert "C'est définitif" in bot.text(asked)
    assert stored(bot, sender) > 0
    done = bot.press(sender, asked, "Oui, tout effacer")
    assert "effacés" in bot.text(done) and stored(bot, sender) == 0
    # A new conversation: told again, and the journey works from the start.
    again = bot.say(sender, "bonjour")
    assert NOTICE in bot.text(again) and "Bonjour" in bot.text(again)


def test_erasure_declined_keeps_the_conversation(bot):
    sender = new_sender()
    bot.say(sender, "j'ai reçu un mail de chantage a la webcam")
    asked = bot.say(sender, "supprimez cette conversation")
    kept = bot.press(sender, asked, "Non, garder")
    assert "n'efface rien" in bot.text(kept)
    assert stored(bot, sender) > 0
