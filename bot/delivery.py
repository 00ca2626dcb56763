"""Messages that reach a victim outside their own turn (an operator's reply, a handover notice, a rating request).

The message is first written to the conversation's tracker (bot.trackers.append); then `push` hands it to the
channel of the conversation, which each connector registers when it is on: the web chat wakes the victim's open
streams, Telegram and SMS send it. A channel that registered nothing (the plain REST API, SMS without its REST API)
cannot push: the message stays in the transcript and `push` says so. No handover starts on such a channel: the
victim would wait for messages that never come. The channels mark each of its victims' messages with `NO_PUSH` in
the metadata (channels/common.py), which is how the action server, which has no connectors, knows; the console
asks `can_push` before an operator takes a conversation.
"""

from __future__ import annotations

import logging
from typing import Awaitable, Callable, Dict, List, Optional

from bot.logs import log_id
from bot.vocabulary import channel_of

logger = logging.getLogger(__name__)

Buttons = Optional[List[Dict[str, str]]]
Pusher = Callable[[str, str, Buttons], Awaitable[None]]

_pushers: Dict[str, Pusher] = {}

NO_PUSH = "no_push"  # metadata of a victim's message on a channel that cannot carry an operator's messages


def register(channel: str, pusher: Pusher) -> None:
    """`pusher(sender_id, text, buttons)` delivers to the conversations of `channel` (a `bot.vocabulary.channel_of`
    name); it raises when the message could not be sent."""
    _pushers[channel] = pusher


def can_push(sender_id: str) -> bool:
    """Whether a connector of this server process registered a way to push to the conversation's channel."""
    return channel_of(sender_id) in _pushers


async def push(sender_id: str, text: str, buttons: Buttons = None) -> bool:
    """True when the channel took the message; False when it cannot push or failed (logged)."""
    pusher = _pushers.get(channel_of(sender_id))
    if pusher is None:
        logger.info("No channel can push to %s: the message stays in the transcript", log_id(sender_id))
        return False
    try:
        await pusher(sender_id, text, buttons)
    except Exception:  # the message stays in the transcript; the operator sees the error in the logs
        logger.exception("Could not deliver a message to %s", log_id(sender_id))
        return False
    return True
