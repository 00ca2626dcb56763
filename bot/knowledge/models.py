"""Schema of the advice knowledge base (validated with pydantic at load time).

An advice sheet ("fiche réflexe") is a YAML file per incident intent in `sheets/`. Every piece of advice is an
`Advice` item that may carry a `when` condition on the facts collected by the qualification form, so one sheet
serves every public and every answer. Services (PHAROS, THESEE, 33700...) are described once in `services.yml` and
referenced by key.
"""
from __future__ import annotations

from typing import Dict, List, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator

Public = Literal["particulier", "entreprise", "collectivite"]
PUBLICS: tuple = ("particulier", "entreprise", "collectivite")

# Facts the qualification form may collect. Only these keys may appear in `when` and `questions`.
FACT_KEYS = (
    "public",  # particulier / entreprise / collectivite
    "money_paid",  # money was paid or debited
    "details_given",  # bank details, codes or passwords were given
    "remote_access",  # remote control was granted (AnyDesk, TeamViewer...)
    "ongoing",  # the attack or the contact is still going on
    "minor_involved",  # a minor is the victim or involved
    "third_party_data",  # personal data of other people (clients, staff, citizens) are concerned
)
Question = Literal[
    "public", "money_paid", "details_given", "remote_access", "ongoing", "minor_involved", "third_party_data"
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Service(Strict):
    """A reporting service, help line or official resource."""

    name: str
    description: str = Field(min_length=10)
    url: Optional[HttpUrl] = None
    phone: Optional[str] = None
    hours: Optional[str] = None


class Advice(Strict):
    """One piece of advice, shown when every key of `when` matches the collected facts.

    `when` values: true/false for yes/no facts, a list of publics for `public`. A fact that is unknown (the
    victim skipped the question or does not know) matches `true` conditions, so that precautions are never lost
    through a skipped question, and never matches `false` conditions.
    """

    text: str = Field(min_length=10, max_length=400)
    when: Dict[Question, Union[bool, List[Public]]] = Field(default_factory=dict)
    service: Optional[str] = None  # key into services.yml, for report/complaint items


class Sheet(Strict):
    intent: str
    title: str  # the French name shown to users (TAXONOMY.md)
    summary: str = Field(min_length=20, max_length=500)  # "De quoi s'agit-il ?"
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
