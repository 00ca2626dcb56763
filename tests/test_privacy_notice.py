"""The privacy notice every victim reads on first contact, the page /confidentialite, and the self-service erasure's
pieces that need no server (the end-to-end walk is in tests/test_self_erasure.py)."""

import asyncio

import pytest
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.slots import BooleanSlot
from rasa.shared.core.trackers import DialogueStateTracker

from bot import responses, settings, vocabulary
from channels import common, privacy_notice, self_erasure
from channels.sms_text import one_message, segments


def tracker(*events, sender="telegram:42"):
    slot = BooleanSlot(privacy_notice.SLOT, mappings=[{"type": "custom"}], influence_conversation=False)
    return DialogueStateTracker.from_events(sender, list(events), slots=[slot])


def user(text="bonjour", intent="greet"):
    return UserUttered(text, intent={"name": intent, "confidence": 1.0})


# --- the page ----------------------------------------------------------------------------------------------------
def test_page_names_the_controller_from_the_settings_and_escapes_it(monkeypatch):
    monkeypatch.setenv("CONTROLLER_NAME", "Association <script>alert(1)</script> & Cie")
    monkeypatch.setenv("CONTROLLER_CONTACT", "dpo@example.org")
    monkeypatch.setenv("RETENTION_DAYS", "90")
    page = privacy_notice.page()
    assert "<script>alert" not in page
    assert "Association &lt;script&gt;alert(1)&lt;/script&gt; &amp; Cie" in page
    assert "dpo@example.org" in page
    assert "90 jours après votre dernier message" in page
    assert "$" not in page  # every placeholder filled


def test_page_never_invents_a_controller(monkeypatch):
    monkeypatch.delenv("CONTROLLER_NAME", raising=False)
    monkeypatch.delenv("CONTROLLER_CONTACT", raising=False)
    page = privacy_notice.page()
    assert page.count(privacy_notice.MISSING) == 2


def test_page_promises_no_redaction_the_configuration_does_not_do(monkeypatch):
    monkeypatch.setenv("REDACT_STORED_AFTER_MINUTES", "45")
    monkeypatch.setenv("KEEP_ORIGINAL_TEXT", "0")
    assert "au bout de 45 minutes" in privacy_notice.page()
    monkeypatch.setenv("KEEP_ORIGINAL_TEXT", "1")
    page = privacy_notice.page()
    assert "au bout de" not in page and "tels que vous les avez écrits" in page


def test_page_tells_how_to_erase_on_every_channel():
    page = privacy_notice.page()
    for way in ("Effacer mes données", "/effacer", "STOP", "cnil.fr"):
        assert way in page


# --- the notice --------------------------------------------------------------------------------------------------
def test_notice_links_the_page_of_the_public_address(monkeypatch):
    monkeypatch.setenv("PUBLIC_URL", "https://aide.example.fr/")
    monkeypatch.setenv("RETENTION_DAYS", "30")
    for channel in (vocabulary.TELEGRAM.key, vocabulary.SMS.key, vocabulary.REST.key):
        text = privacy_notice.text(channel)
        assert "https://aide.example.fr/confidentialite" in text and "30 jours" in text
    assert "/effacer" in privacy_notice.text(vocabulary.TELEGRAM.key)
    assert "STOP" in privacy_notice.text(vocabulary.SMS.key)


def test_public_url_must_be_a_web_address(monkeypatch):
    with pytest.raises(settings.SettingsError, match="PUBLIC_URL"):
        settings.load({"PUBLIC_URL": "aide.example.fr"})
    assert settings.load({}).privacy_page_url == "http://localhost:5005/confidentialite"


def test_sms_notice_is_one_message(monkeypatch):
    monkeypatch.setenv("PUBLIC_URL", "https://cyberaide.example-collectivite.fr")
    monkeypatch.setenv("RETENTION_DAYS", "365")
    assert segments(one_message(privacy_notice.text(vocabulary.SMS.key))) <= 3


def test_notice_is_due_once_per_conversation_and_not_after_an_emergency():
    telegram = vocabulary.TELEGRAM.key
    assert privacy_notice.due(tracker(user()), telegram)
    assert not privacy_notice.due(tracker(user(), SlotSet(privacy_notice.SLOT, True)), telegram)
    assert not privacy_notice.due(tracker(user("je vais me tuer", "emergency_danger")), telegram)
    assert not privacy_notice.due(tracker(user(), sender="web:x"), vocabulary.WEB.key)  # the widget shows it
    assert not privacy_notice.due(None, telegram)


class _Agent:
    """Just enough of Rasa's agent for trackers.append: a lock store and a tracker store in memory."""

    def __init__(self):
        from rasa.core.lock_store import InMemoryLockStore
        from rasa.core.tracker_store import InMemoryTrackerStore
        from rasa.shared.core.domain import Domain

        domain = Domain.from_dict({"slots": {privacy_notice.SLOT: {"type": "bool", "mappings": [{"type": "custom"}]}}})
        self.lock_store = InMemoryLockStore()
        self.tracker_store = InMemoryTrackerStore(domain)


def test_notice_follows_the_replies_and_is_recorded_in_the_transcript():
    agent = _Agent()
    sender = "telegram:42"
    replies = [{"text": "Voici ce que je vous conseille."}]
    out = asyncio.run(privacy_notice.after_turn(agent, sender, tracker(user(), sender=sender), replies))
    assert out[:-1] == replies and out[-1]["notice"] == "privacy"
    stored = asyncio.run(agent.tracker_store.retrieve(sender))
    assert stored.get_slot(privacy_notice.SLOT) is True
    assert any(isinstance(e, BotUttered) and e.text == out[-1]["text"] for e in stored.events)


def test_no_notice_when_the_bot_is_silent_or_the_conversation_was_erased():
    agent = _Agent()
    erased = [{"text": "C'est fait", "erased": True}]
    assert asyncio.run(privacy_notice.after_turn(agent, "telegram:1", tracker(user()), [])) == []
    assert asyncio.run(privacy_notice.after_turn(agent, "telegram:1", tracker(user()), erased)) == erased


# --- erasure -----------------------------------------------------------------------------------------------------
def test_erasure_is_confirmed_only_by_the_turn_that_just_ended():
    done = ActionExecuted(self_erasure.CONFIRMED)
    assert self_erasure.confirmed(tracker(user("oui", "affirm"), done, ActionExecuted("action_listen")))
    # An erasure confirmed in an earlier turn does not erase the conversation that started again since.
    assert not self_erasure.confirmed(tracker(user("oui", "affirm"), done, user("bonjour")))
    assert not self_erasure.confirmed(tracker(user()))


def test_the_erasure_question_can_be_asked_without_an_offer_but_not_confirmed(monkeypatch):
    class App:
        class ctx:
            agent = _Agent()

    text, refused = asyncio.run(common.gate_payload(App, "telegram:7", self_erasure.REQUEST_PAYLOAD))
    assert (text, refused) == (self_erasure.REQUEST_PAYLOAD, None)
    # The confirmation was never offered to this conversation: read as plain words, nothing is erased.
    text, refused = asyncio.run(common.gate_payload(App, "telegram:7", "/confirm_erasure"))
    assert refused == "/confirm_erasure" and not text.startswith("/")


def test_erasure_texts_exist_for_every_channel():
    for channel in vocabulary.CHANNELS:
        for response in ("utter_erasure_done", "utter_erasure_failed", "utter_privacy_notice"):
            assert responses.text(response, channel=channel, days=1, url="u")
