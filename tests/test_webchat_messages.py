"""The web chat's view of a conversation, from real Rasa events (no server needed)."""

from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    ConversationPaused,
    SessionStarted,
    SlotSet,
    UserUttered,
)

from channels.common import SAFETY_REPLY, TRUNCATED_NOTE
from channels.webchat import SESSION_FORMAT, _notices, _sse, _turn, widget_messages

YES_NO = [{"title": "Oui", "payload": "/affirm"}, {"title": "Non", "payload": "/deny"}]
OFFICIAL_LINK = {"title": "Fiche officielle", "url": "https://www.cybermalveillance.gouv.fr/"}


def conversation():
    return [
        ActionExecuted("action_session_start"),  # 0
        SessionStarted(),  # 1
        ActionExecuted("action_listen"),  # 2
        UserUttered("on a piraté mon compte", message_id="c1"),  # 3
        SlotSet("incident", "piratage_compte"),  # 4
        BotUttered("Avez-vous payé ?", data={"buttons": YES_NO}),  # 5
        ActionExecuted("action_listen"),  # 6
        UserUttered("/deny", message_id="c2"),  # 7
        BotUttered("Voici mes conseils.", data={"buttons": [OFFICIAL_LINK]}),  # 8
        UserUttered("EXTERNAL: reminder_intent"),  # 9: triggered by the system, not written by the victim
        ConversationPaused(),  # 10
        BotUttered("Alex, conseiller, a rejoint la conversation.", metadata={"system": "handover"}),  # 11
        BotUttered("<img src=x onerror=alert(1)>", metadata={"operator": "Alex"}),  # 12
        UserUttered("/affirm", message_id="c3"),  # 13: typed by hand, no button offered since the last message
    ]


def test_each_message_keeps_its_index_in_the_tracker_and_who_wrote_it():
    messages = widget_messages(conversation())
    assert [(m["id"], m["who"]) for m in messages] == [
        (3, "victim"),
        (5, "bot"),
        (7, "victim"),
        (8, "bot"),
        (11, "system"),
        (12, "operator"),
        (13, "victim"),
    ]
    operator = next(m for m in messages if m["who"] == "operator")
    assert operator["operator"] == "Alex"
    assert operator["text"] == "<img src=x onerror=alert(1)>"  # data, never markup: the widget uses textContent


def test_a_pressed_button_shows_its_title_not_its_payload():
    messages = {m["id"]: m for m in widget_messages(conversation())}
    assert messages[7]["text"] == "Non" and messages[7]["client_id"] == "c2"
    assert messages[13]["text"] == "/affirm"  # no button was offered just before: shown as written


def test_quick_replies_and_link_buttons_are_told_apart():
    messages = {m["id"]: m for m in widget_messages(conversation())}
    assert messages[5]["buttons"] == YES_NO
    assert messages[8]["buttons"] == [OFFICIAL_LINK]


def test_a_turn_is_the_victim_message_and_what_followed_it():
    messages = widget_messages(conversation())
    assert [m["id"] for m in _turn(messages, "c2")] == [7, 8, 11, 12]  # up to the victim's next message
    assert [m["id"] for m in _turn(messages, "c1")] == [3, 5]
    assert _turn(messages, "unknown") is None


def test_replies_missing_from_the_transcript_become_notices():
    turn = _turn(widget_messages(conversation()), "c1")
    replies = [{"text": "Avez-vous payé ?", "buttons": YES_NO}, {"text": TRUNCATED_NOTE}]
    assert _notices(replies, turn) == [{"who": "bot", "text": TRUNCATED_NOTE}]
    # nothing recorded (database down): every reply is a notice, with its buttons
    assert _notices([{"text": SAFETY_REPLY}, {"text": "Q ?", "buttons": YES_NO}], []) == [
        {"who": "bot", "text": SAFETY_REPLY},
        {"who": "bot", "text": "Q ?", "buttons": YES_NO},
    ]


def test_server_sent_event_frames_hold_one_message_on_one_data_line():
    frame = _sse({"id": 4, "who": "bot", "text": "ligne 1\nligne 2\r\n\ndata: piège"})
    assert frame.startswith("id: 4\ndata: {") and frame.endswith("}\n\n")
    assert frame.count("\n") == 3


def test_only_web_conversation_ids_are_accepted():
    assert SESSION_FORMAT.fullmatch("web:0f8fad5b-d9cb-469f-a165-70867728950e")
    for forged in (
        "telegram:123456",
        "sms:+33612345678",
        "web:../../etc",
        "web:0F8FAD5B-D9CB-469F-A165-70867728950E",
        "0f8fad5b-d9cb-469f-a165-70867728950e",
        "web:0f8fad5b-d9cb-469f-a165-70867728950e\n",
    ):
        assert not SESSION_FORMAT.fullmatch(forged), forged
