"""Custom Rasa NLU components (registered in config.yml by module path)."""
from __future__ import annotations

from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.entities import extract
from bot.safety import detect_danger
from bot.taxonomy import EMERGENCY_INTENT


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class EmergencyOverride(GraphComponent):
    """Forces `emergency_danger` when the rule-based safety net sees a danger to life.

    Placed last in the pipeline so that it also overrides `nlu_fallback`. The model's own ranking is kept below
    the emergency so that the incident the victim described can still be diagnosed after the emergency numbers;
    the kind of danger ('suicide', 'violence', 'child') is added to the parse data as `danger`.
    """

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "EmergencyOverride":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            danger = detect_danger(message.get(TEXT) or "")
            if not danger:
                continue
            ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != EMERGENCY_INTENT]
            emergency = {"name": EMERGENCY_INTENT, "confidence": 1.0}
            message.set(INTENT, emergency, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [emergency] + ranking, add_to_output=True)
            message.set("danger", danger, add_to_output=True)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class RuleEntityExtractor(GraphComponent):
    """Adds the rule-based entities of `bot.nlu.entities` (public, amount, payment means, facts...)."""

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "RuleEntityExtractor":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            found = [dict(e, extractor=type(self).__name__) for e in extract(message.get(TEXT) or "")]
            if found:
                message.set(ENTITIES, (message.get(ENTITIES) or []) + found, add_to_output=True)
        return messages
