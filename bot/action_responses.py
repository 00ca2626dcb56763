"""The Rasa server's check of every action server response, with its JSON schema compiled once.

Rasa 3.6 checks each response of the action server with `jsonschema.validate(result, schema)`
(`RemoteAction._validate_action_result`). That call first validates the schema itself against the JSON Schema
meta-schema, then builds a validator, at every call: about 40 ms here for a response of an advice turn, and a turn
makes several action calls (the form's validation, the form, the advice). Measured under load in issue 17, it was a
third of the Rasa server's CPU. The schema never changes, so it is checked once, here, and the compiled validator is
reused: same schema, same errors (a malformed response is still refused), about 2 ms a call.

Installed by bot/stores.py's tracker store, which every Rasa server process of this project builds (endpoints.yml).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, Text

from jsonschema import ValidationError, validators
from rasa.shared.constants import DOCS_BASE_URL

# Rasa's actions module is imported when the check is installed, not with this module: it loads Rasa's policies
# (TensorFlow, 10 s), which the command-line tools importing bot.stores for its tables do not need.


@lru_cache(maxsize=1)
def _validator() -> Any:
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_action_result(action: Any, result: Dict[Text, Any]) -> bool:
    """RemoteAction._validate_action_result, with the validator compiled once (same message on error)."""
    try:
        _validator().validate(result)
    except ValidationError as error:
        error.message += (
            ". Failed to validate Action server response from API, make sure your response from the Action endpoint "
            f"is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise
    return True


def install() -> None:
    from rasa.core.actions.action import RemoteAction

    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
