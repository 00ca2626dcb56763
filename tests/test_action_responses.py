"""The Rasa server checks the action server's responses with a schema compiled once (bot/action_responses.py):
the same responses are accepted and refused as with Rasa's own check."""

from __future__ import annotations

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from bot import action_responses

VALID = [
    {"events": [], "responses": []},
    {
        "events": [
            {"event": "slot", "timestamp": None, "name": "incident", "value": "hameconnage"},
            {"event": "active_loop", "name": "incident_form"},
            {"event": "followup", "name": "action_advice"},
        ],
        "responses": [{"text": "Voici ce que je vous conseille.", "buttons": [{"title": "Oui", "payload": "/affirm"}]}],
    },
]
INVALID = [
    {"events": "slot"},
    {"events": [{"name": "incident"}]},  # no event type
    {"events": [{"event": "slot", "timestamp": "hier"}]},
    {"events": [{"event": "unknown_event"}]},
    {"responses": "Bonjour"},
]


@pytest.fixture(scope="module", autouse=True)
def tracker_store(tmp_path_factory):
    """The project's tracker store, built as the Rasa server builds it from endpoints.yml: it installs the check."""
    from rasa.shared.core.domain import Domain

    from bot.stores import DatabaseTrackerStore

    store = DatabaseTrackerStore(Domain.empty(), host=f"sqlite:///{tmp_path_factory.mktemp('db')}/events.db")
    yield store
    store.engine.dispose()


def test_the_rasa_server_uses_the_compiled_check():
    assert RemoteAction._validate_action_result is action_responses.validate_action_result


@pytest.mark.parametrize("result", VALID, ids=range(len(VALID)))
def test_valid_responses_pass_as_with_rasas_own_check(result):
    jsonschema.validate(result, RemoteAction.action_response_format_spec())
    assert RemoteAction("action_advice", None)._validate_action_result(result) is True


@pytest.mark.parametrize("result", INVALID, ids=range(len(INVALID)))
def test_malformed_responses_are_refused_as_with_rasas_own_check(result):
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(result, RemoteAction.action_response_format_spec())
    with pytest.raises(jsonschema.ValidationError, match="Failed to validate Action server response"):
        RemoteAction("action_advice", None)._validate_action_result(result)
