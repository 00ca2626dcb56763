"""The victim consents to talk to a person: queue the conversation with its qualification summary, or, on a channel
where operators cannot write to the victim (bot.delivery.NO_PUSH), give them the other ways to reach a person."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from bot import delivery, handover, settings, vocabulary
from bot.actions.fallback import MAX_MISUNDERSTOOD, misunderstood_in_a_row
from bot.advice import case_from_slots
from bot.taxonomy import EMERGENCY_INTENT


def handover_reason(tracker: Tracker, serious: bool) -> str:
    intents = [
        ((e.get("parse_data") or {}).get("intent") or {}).get("name")
        for e in tracker.events
        if e.get("event") == "user"
    ]
    if EMERGENCY_INTENT in intents:
        return "emergency"
    if serious:
        return "serious"
    if misunderstood_in_a_row(tracker) >= MAX_MISUNDERSTOOD:
        return "misunderstood"
    return "asked"


class ActionRequestHandover(Action):
    def name(self) -> Text:
        return "action_request_handover"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        if (tracker.latest_message.get("metadata") or {}).get(delivery.NO_PUSH):
            # A queued request would leave the victim facing a silent bot: the operator's messages cannot reach them.
            dispatcher.utter_message(text=handover.unreachable_text(settings.current().webchat_url))
            return []
        case = case_from_slots(tracker.current_slot_values())
        summary = case.handover_summary(bool(tracker.get_slot("advice_given"))) if case else None
        reason = handover_reason(tracker, bool(case and case.serious))
        channel = vocabulary.channel_of(tracker.sender_id, tracker.get_latest_input_channel())
        handover.request(tracker.sender_id, channel, reason, summary)
        if handover.is_open():
            dispatcher.utter_message(response="utter_handover_requested")
        else:
            dispatcher.utter_message(response="utter_handover_closed_hours", hours=handover.opening_hours_text())
        return []
