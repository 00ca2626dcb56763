"""The dialogue policy: Rasa's RulePolicy, with the guarantee that every turn ends by listening.

RulePolicy predicts its core fallback whenever no rule matches, also right after an action. Our fallback
(`action_respond`) answers the victim's message; if nothing then predicted `action_listen`, RulePolicy would predict
the fallback again and again until Rasa's circuit breaker stops the turn after 10 actions: ten identical replies, and
a tracker that no longer ends with `action_listen`, so that every later turn of that conversation trips the breaker at
once (Rasa counts actions since the last `action_listen`). This policy predicts `action_listen` instead when:

- no rule matches and the latest action was not `action_listen` (the fallback answers a message, never an action);
- the same action would run twice in a row;
- MAX_ACTIONS_PER_TURN actions already ran since the victim's message.

A conversation stored in a broken state by an older version is repaired when it is read (bot.stores).
"""

from __future__ import annotations

import logging
from typing import Any, Dict, Optional, Text

from rasa.core.policies.policy import PolicyPrediction
from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)

# Our longest legitimate turn: emergency, diagnosis, form, advice, rating... Rasa's breaker is at 10.
MAX_ACTIONS_PER_TURN = 6


def actions_since_listen(tracker: DialogueStateTracker) -> int:
    count = 0
    for event in reversed(tracker.events):
        if isinstance(event, ActionExecuted):
            if event.action_name in (ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME):
                break
            count += 1
    return count


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class TurnEndingRulePolicy(RulePolicy):
    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[Text, Any]] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        prediction = super().predict_action_probabilities(tracker, domain, rule_only_data, **kwargs)
        latest = tracker.latest_action_name
        if latest == ACTION_LISTEN_NAME or not prediction.probabilities:
            return prediction
        predicted = domain.action_names_or_texts[prediction.max_confidence_index]
        no_rule = prediction.probabilities == self._default_predictions(domain)
        if predicted == ACTION_LISTEN_NAME:
            return prediction
        if no_rule or predicted == latest or actions_since_listen(tracker) >= MAX_ACTIONS_PER_TURN:
            logger.debug("Turn ended by listening instead of %s after %s", predicted, latest)
            return self._rule_prediction(
                self._prediction_result(ACTION_LISTEN_NAME, tracker, domain), "turn_ending_guard"
            )
        return prediction
