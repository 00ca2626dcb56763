"""Custom Rasa NLU components (registered in config.yml by module path)."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Tuple

import joblib
import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu import sentence_encoder
from bot.nlu.entities import extract
from bot.safety import detect_danger
from bot.taxonomy import EMERGENCY_INTENT, INCIDENT_INTENTS

FALLBACK_INTENT = "nlu_fallback"
TIE_MIN_CONFIDENCE = 0.3  # an emergency among the two most likely intents, at least this likely

# A story of two incidents ("j'ai cliqué sur un faux SMS, puis des paiements inconnus"): each clause is read on its
# own, and a clause clearly about another incident than the whole message is kept as the entity `other_incident`
# (the diagnosis mentions it, bot/actions/diagnosis.py). Stories only: short messages rarely tell two incidents.
MENTION_ENTITY = "other_incident"
MENTION_MIN_WORDS = 15
MENTION_MIN_CLAUSE_WORDS = 4
# Chosen on a split of the training data: at 0.6, 14 of 27 stories of two incidents are mentioned, and 54 of 551 other
# long lines (most of which do tell a second incident, e.g. card debits after a fake buyer's link).
MENTION_MIN_CONFIDENCE = 0.6
_CLAUSE_BREAK = re.compile(
    r"[.!?;:\n]+|,|\b(?:puis|ensuite|maintenant|mais|du coup|depuis|apr[eè]s [cç]a|et l[aà])\b", re.IGNORECASE
)


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
                self._tie_goes_to_safety(message)
                continue
            ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != EMERGENCY_INTENT]
            emergency = {"name": EMERGENCY_INTENT, "confidence": 1.0}
            message.set(INTENT, emergency, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [emergency] + ranking, add_to_output=True)
            message.set("danger", danger, add_to_output=True)
        return messages

    @staticmethod
    def _tie_goes_to_safety(message: Message) -> None:
        """The model torn between a danger to life and something else (FallbackClassifier's `nlu_fallback` for two
        close intents): the emergency numbers first. A false alarm costs a paragraph; a miss can cost a life."""
        if (message.get(INTENT) or {}).get("name") != FALLBACK_INTENT:
            return
        ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != FALLBACK_INTENT]
        if any(r.get("name") == EMERGENCY_INTENT and r.get("confidence", 0) >= TIE_MIN_CONFIDENCE for r in ranking[:2]):
            emergency = next(r for r in ranking if r.get("name") == EMERGENCY_INTENT)
            message.set(INTENT, emergency, add_to_output=True)
            message.set(
                INTENT_RANKING_KEY, [emergency] + [r for r in ranking if r is not emergency], add_to_output=True
            )


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


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class LinearIntentEnsemble(GraphComponent, IntentClassifier):
    """Averages DIET's intent probabilities with those of a TF-IDF + logistic regression model and, when
    `encoder_weight` is set, of a logistic regression on multilingual sentence embeddings (bot/nlu/sentence_encoder).

    The models make different mistakes: DIET uses spaCy's French word vectors, the linear model word bigrams and
    character n-grams of the exact wording, the encoder the meaning of the whole sentence. `make bench-nlu` measures
    the result on the held-out sets. Place it right after DIETClassifier (with `ranking_length: 0`, so that DIET
    scores every intent). DIET weighs 1 - weight - encoder_weight.
    """

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        # weight: of the linear model in the average; encoder_weight: of the sentence-embedding model
        return {"weight": 0.5, "encoder_weight": 0.0, "C": 10.0, "encoder_C": 10.0, "random_seed": 42}

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: Any = None,
        encoder_model: Any = None,
    ):
        self._config = {**self.get_default_config(), **config}
        self._model_storage, self._resource, self._model = model_storage, resource, model
        self._encoder_model = encoder_model

    @classmethod
    def create(cls, config, model_storage, resource, execution_context) -> "LinearIntentEnsemble":
        return cls(config, model_storage, resource)

    @staticmethod
    def pipeline(C: float, random_seed: int) -> Any:
        """The linear model: word uni- and bigrams plus character n-grams, TF-IDF, logistic regression."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import FeatureUnion, make_pipeline

        features = FeatureUnion(
            [
                ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, strip_accents="unicode")),
                (
                    "chars",
                    TfidfVectorizer(
                        analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2, strip_accents="unicode"
                    ),
                ),
            ]
        )
        return make_pipeline(features, LogisticRegression(C=C, max_iter=2000, random_state=random_seed))

    @staticmethod
    def _fast(model: Any) -> Any:
        """The same model, its weights laid out for one message at a time. Logistic regression multiplies the
        message's sparse features by `coef_.T`; with `coef_` in C order that transpose is copied at every call (37
        intents x 54,000 features: 16 MB, 10 ms a message, measured in issue 17). In Fortran order the transpose is
        already contiguous: same numbers, no copy."""
        classifier = model.steps[-1][1]
        classifier.coef_ = np.asfortranarray(classifier.coef_)
        return model

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(TEXT)]
        self._model = self.pipeline(self._config["C"], self._config["random_seed"])
        texts, intents = [e.get(TEXT) for e in examples], [e.get(INTENT) for e in examples]
        self._model.fit(texts, intents)
        self._fast(self._model)
        if self._config["encoder_weight"] > 0:
            self._encoder_model = sentence_encoder.classifier(self._config["encoder_C"], self._config["random_seed"])
            self._encoder_model.fit(sentence_encoder.embed(texts), intents)
        with self._model_storage.write_to(self._resource) as directory:
            joblib.dump(self._model, directory / "linear_intent.joblib")
            if self._encoder_model is not None:
                joblib.dump(self._encoder_model, directory / "encoder_intent.joblib")
        return self._resource

    @classmethod
    def load(cls, config, model_storage, resource, execution_context, **kwargs: Any) -> "LinearIntentEnsemble":
        try:
            with model_storage.read_from(resource) as directory:
                model = cls._fast(joblib.load(directory / "linear_intent.joblib"))
                encoder_path = directory / "encoder_intent.joblib"
                encoder_model = joblib.load(encoder_path) if encoder_path.exists() else None
        except ValueError:  # not trained (no intent examples)
            model = encoder_model = None
        return cls(config, model_storage, resource, model, encoder_model)

    def process(self, messages: List[Message]) -> List[Message]:
        if self._model is None:
            return messages
        diet_weight = 1 - float(self._config["weight"]) - self._encoder_weight()
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            # The whole message and, for a story, each of its clauses: one batch through both models.
            clauses = self._clauses(text)
            names, blended, total = self._blend([text] + [text[a:b] for a, b in clauses])
            scores = dict(zip(names, blended[0]))
            for r in message.get(INTENT_RANKING_KEY) or []:  # DIET's ranking
                scores[r["name"]] = scores.get(r["name"], 0.0) + diet_weight * r["confidence"]
            ranking = [{"name": n, "confidence": float(c)} for n, c in sorted(scores.items(), key=lambda x: -x[1])][:10]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
            mention = self._mention(clauses, names, blended[1:] / total, ranking[0]["name"])
            if mention:
                message.set(ENTITIES, (message.get(ENTITIES) or []) + [mention], add_to_output=True)
        return messages

    def _encoder_weight(self) -> float:
        return float(self._config["encoder_weight"]) if self._encoder_model is not None else 0.0

    def _blend(self, texts: List[str]) -> Tuple[List[str], np.ndarray, float]:
        """The linear and the encoder models' probabilities for each text, weighted as in the ensemble (DIET apart):
        the intent names, one row per text, and the sum of the two weights."""
        weight, encoder_weight = float(self._config["weight"]), self._encoder_weight()
        names = list(self._model.classes_)
        blended = weight * self._model.predict_proba(texts)
        if encoder_weight:
            encoded = self._encoder_model.predict_proba(sentence_encoder.embed(texts))
            order = [list(self._encoder_model.classes_).index(n) for n in names]
            blended = blended + encoder_weight * encoded[:, order]
        return names, blended, weight + encoder_weight

    @staticmethod
    def _clauses(text: str) -> List[Tuple[int, int]]:
        """The spans of a story's clauses, or none when the message is too short to tell two incidents."""
        if len(text.split()) < MENTION_MIN_WORDS:
            return []
        clauses, start = [], 0
        for cut in [*_CLAUSE_BREAK.finditer(text), None]:
            end = cut.start() if cut else len(text)
            if len(text[start:end].split()) >= MENTION_MIN_CLAUSE_WORDS:
                clauses.append((start, end))
            start = cut.end() if cut else end
        return clauses if len(clauses) >= 2 else []

    @staticmethod
    def _mention(
        clauses: List[Tuple[int, int]], names: List[str], rows: np.ndarray, top: str
    ) -> Optional[Dict[str, Any]]:
        """The other incident one clause is clearly about, as an entity, else None."""
        best: Optional[Dict[str, Any]] = None
        for (a, b), row in zip(clauses, rows):
            index = int(np.argmax(row))
            name, confidence = names[index], float(row[index])
            if name == top or name not in INCIDENT_INTENTS or confidence < MENTION_MIN_CONFIDENCE:
                continue
            if best is None or confidence > best["confidence_entity"]:
                best = {
                    "entity": MENTION_ENTITY,
                    "value": name,
                    "start": a,
                    "end": b,
                    "confidence_entity": confidence,
                    "extractor": "LinearIntentEnsemble",
                }
        return best
