"""Schema of the advice knowledge base (validated with pydantic at load time).

An advice sheet ("fiche réflexe") is a YAML file per incident intent in `sheets/`. Every piece of advice is an
`Advice` item that may carry a `when` condition on the facts collected by the qualification form, so one sheet
serves every public and every answer. Services (PHAROS, THESEE, 33700...) are described once in `services.yml` and
referenced by key.
"""

from __future__ import annotations

from typing import Dict, List, Literal, Optional, Union, get_args

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator, model_validator

from bot.vocabulary import FACT_KEYS, LURES, PUBLIC_KEYS, WRITERS  # noqa: F401  (FACT_KEYS, LURES: the schema's users)

# The words are bot/vocabulary.py's; pydantic needs them as Literal types too (tests/test_knowledge.py checks both).
PUBLICS = PUBLIC_KEYS
Public = Literal["particulier", "entreprise", "collectivite"]
Lure = Literal["convocation", "proche"]
Writer = Literal["victime", "parent"]
# The values of the `payment_means` entity (bot/nlu/entities.py PAYMENT_MEANS; tests/test_vocabulary.py checks both).
Means = Literal[
    "virement", "carte", "paypal", "crypto", "coupon", "cheque", "especes", "transfert_argent", "paiement_mobile"
]
Question = Literal[
    "public", "money_paid", "details_given", "remote_access", "ongoing", "minor_involved", "third_party_data"
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


SMS_MAX = 80  # characters of an `Advice.sms`, the short form of the advice sent by SMS


class Service(Strict):
    """A reporting service, help line or official resource."""

    name: str
    description: str = Field(min_length=10)
    url: Optional[HttpUrl] = None
    phone: Optional[str] = None
    hours: Optional[str] = None


class Advice(Strict):
    """One piece of advice, shown when every key of `when` matches the collected facts.

    `when` values: true/false for yes/no facts, a list of publics for `public`, a list of LURES for `lure`, a list
    of means of payment for `payment_means` (advice about one means: Perceval is for card payments, not transfers),
    a list of WRITERS for `writer` (an unknown writer is the victim: advice worded for a parent needs them to say so).
    A fact that is unknown (the victim skipped the question or does not know) matches `true` conditions, so that
    precautions are never lost through a skipped question, and never matches `false` conditions; an unknown means
    of payment matches every list, for the same reason.
    """

    @field_validator("sms")
    @classmethod
    def _sms_is_short(cls, value: Optional[str]) -> Optional[str]:
        if value is not None and not 10 <= len(value) <= SMS_MAX:
            raise ValueError(f"sms must be 10 to {SMS_MAX} characters, not {len(value)}: {value!r}")
        return value

    @model_validator(mode="after")
    def _values_fit_their_key(self) -> "Advice":
        for key, expected in self.when.items():
            allowed = {"public": PUBLICS, "lure": LURES, "writer": WRITERS, "payment_means": get_args(Means)}.get(key)
            if allowed is None and not isinstance(expected, bool):
                raise ValueError(f"{key} takes true or false")
            if allowed is not None and (isinstance(expected, bool) or not set(expected) <= set(allowed)):
                raise ValueError(f"{key} takes a list of {allowed}")
        return self

    text: str = Field(min_length=10, max_length=400)
    # Short form for SMS, where every segment counts: the same advice under the same `when`, GSM-7 where it reads well.
    sms: Optional[str] = None
    when: Dict[
        Union[Question, Literal["lure", "writer", "payment_means"]],
        Union[bool, List[Public], List[Lure], List[Writer], List[Means]],
    ] = Field(default_factory=dict)
    service: Optional[str] = None  # key into services.yml, for report/complaint items


class Sheet(Strict):
    intent: str
    title: str  # the French name shown to users (TAXONOMY.md)
    summary: str = Field(min_length=20, max_length=500)  # "De quoi s'agit-il ?"
    # The same for a parent writing about their minor child (bot.advice.speaks_to_parent), where the summary says "vous"
    parent_summary: Optional[str] = Field(default=None, min_length=20, max_length=500)
    source_url: HttpUrl  # the official sheet this advice paraphrases
    publics: List[Public]  # publics this incident concerns
    questions: List[Question]  # only the questions whose answer changes the advice, in the order to ask them
    serious_when: List[Dict[Question, Union[bool, List[Public]]]] = Field(default_factory=list)
    # ^ any matching condition makes the case serious (offer a human operator); [{}] = always serious
    urgent: List[Advice] = Field(min_length=1)  # containment first
    evidence: List[Advice] = Field(min_length=1)  # preuves à conserver
    report: List[Advice] = Field(default_factory=list)  # signalement
    complaint: List[Advice] = Field(default_factory=list)  # plainte
    prevention: List[Advice] = Field(default_factory=list)
    competences: List[str] = Field(default_factory=list)  # provider skills this incident needs

    @field_validator("questions")
    @classmethod
    def _no_duplicate_questions(cls, value: List[str]) -> List[str]:
        if len(set(value)) != len(value):
            raise ValueError("duplicate question")
        return value


class GlossaryEntry(Strict):
    """A word or service the advice names ("PHAROS", "double authentification"), explained in one or two sentences.

    `aliases` are how victims write it when they ask ("pharos", "le 33700", "2fa", "double auth"): lower case, matched
    on whole words with accents and case folded (bot.glossary).
    """

    term: str = Field(min_length=2, max_length=60)  # as shown to the victim
    aliases: List[str] = Field(min_length=1)
    text: str = Field(min_length=30, max_length=320)  # plain French, vouvoiement, SMS-sized
    source_url: HttpUrl  # the official page the explanation paraphrases

    @field_validator("aliases")
    @classmethod
    def _aliases_are_lower_case(cls, value: List[str]) -> List[str]:
        for alias in value:
            if not alias.strip() or alias != alias.lower():
                raise ValueError(f"alias must be lower case and not empty: {alias!r}")
        return value


# The nine themes of the official awareness kit, in the order they are offered.
PREVENTION_THEMES = (
    "mots_de_passe",
    "reseaux_sociaux",
    "appareils_mobiles",
    "sauvegardes",
    "mises_a_jour",
    "usages_pro_perso",
    "hameconnage",
    "rancongiciel",
    "faux_support_technique",
)


class PreventionTheme(Strict):
    title: str = Field(min_length=3, max_length=60)  # also a button title
    tips: List[str] = Field(min_length=2)

    @field_validator("tips")
    @classmethod
    def _tips_are_sentences(cls, value: List[str]) -> List[str]:
        for tip in value:
            if not 10 <= len(tip) <= 300:
                raise ValueError(f"tip must be 10 to 300 characters: {tip!r}")
        return value


class QuizQuestion(Strict):
    question: str = Field(min_length=10)
    choices: List[str] = Field(min_length=2, max_length=4)
    answer: int = Field(ge=0)  # index into `choices`
    explanation: str = Field(min_length=10)

    @field_validator("choices")
    @classmethod
    def _distinct_choices(cls, value: List[str]) -> List[str]:
        if len(set(value)) != len(value) or any(not choice.strip() for choice in value):
            raise ValueError("choices must be distinct and not empty")
        return value

    @model_validator(mode="after")
    def _answer_is_a_choice(self) -> "QuizQuestion":
        if self.answer >= len(self.choices):
            raise ValueError(f"answer {self.answer} is not the index of one of the {len(self.choices)} choices")
        return self


class Prevention(Strict):
    """prevention.yml: the awareness themes and the quiz (bot/actions/prevention.py)."""

    themes: Dict[str, PreventionTheme]
    quiz: List[QuizQuestion] = Field(min_length=1)

    @field_validator("themes")
    @classmethod
    def _the_nine_themes(cls, value: Dict[str, PreventionTheme]) -> Dict[str, PreventionTheme]:
        if set(value) != set(PREVENTION_THEMES):
            missing, extra = set(PREVENTION_THEMES) - set(value), set(value) - set(PREVENTION_THEMES)
            raise ValueError(f"themes must be the nine of the kit (missing {sorted(missing)}, unknown {sorted(extra)})")
        return value

    def advice(self) -> List[str]:
        """What the kit recommends: titles, tips, the right answers and the explanations (not the wrong choices
        and the scenarios of the questions, which describe what a scammer asks for)."""
        out: List[str] = []
        for theme in self.themes.values():
            out += [theme.title, *theme.tips]
        for question in self.quiz:
            out += [question.choices[question.answer], question.explanation]
        return out

    def texts(self) -> List[str]:
        """Every text a user reads, for the hard-rule tests."""
        out: List[str] = []
        for theme in self.themes.values():
            out += [theme.title, *theme.tips]
        for question in self.quiz:
            out += [question.question, *question.choices, question.explanation]
        return out
