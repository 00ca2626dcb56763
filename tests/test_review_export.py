"""Exports of the review: NLU training files (accepted by Rasa's reader and `rasa data validate`) and test stories,
on SQLite and PostgreSQL."""

import shutil
import subprocess
import time

import pytest
import yaml
from rasa.shared.core.events import UserUttered
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader
from sqlalchemy import select

from bot import db
from bot.privacy import CARD
from console import annotations, export, index, review, transcripts
from console.models import AuditLog
from console.review_models import ConversationIndex, MessageAnnotation
from tests import review_data
from tests.conftest import RASA, ROOT, server_env
from tests.review_data import Conversation, staff

NOW = time.time()
TEST_SENTENCE = next(iter(export.read_examples(export.TEST_NLU_DIRS[0])))


def a_training_example(intent: str) -> str:
    for path in sorted(export.NLU_DIR.glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            if block["intent"] == intent:
                return block["examples"].splitlines()[0][2:]
    raise AssertionError(intent)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path, monkeypatch):
    env = {
        "EXPORT_DIR": str(tmp_path),
        "REVIEW_NLU_EXPORT_DIR": str(tmp_path / "nlu"),
        "REVIEW_STORY_EXPORT_DIR": str(tmp_path / "stories"),
    }
    with review_data.review_database(request.param, tmp_path, monkeypatch, env) as url:
        yield url


MESSAGES = [
    # (typed text, predicted intent, corrected intent, entities typed by the reviewer)
    ("un faux site [banque] m'a pris 4970 1012 3456 7893 {urgent}", "hameconnage", "hameconnage", ""),
    ("mon compte insta a été piraté par un inconnu", "hameconnage", "piratage_compte", "platform=insta=>Instagram"),
    ("mon compte insta a été piraté par un inconnu", "hameconnage", "piratage_compte", ""),  # same text again
    (a_training_example("sextorsion"), "sextorsion", "sextorsion", ""),  # already in the training data
    (a_training_example("spam"), "spam", "rancongiciel", ""),  # in the training data as another intent
    (TEST_SENTENCE, "greet", "greet", ""),  # held-out test set: must stay unseen
    ("/affirm", "affirm", "affirm", ""),  # a button
    ("des pubs partout sur mon téléphone", "spam", "logiciel_malveillant", "platform=téléphone"),
]


def annotate_all(sender_id: str) -> None:
    conversation = Conversation(sender_id, NOW - 600)
    for text, predicted, _, _ in MESSAGES:
        conversation.victim(text, predicted, 0.6).action("action_listen")
    review_data.store(db.engine().url.render_as_string(hide_password=False), [conversation])
    victims = [i for i in transcripts.build(sender_id).items if i.get("who") == "victim"]
    for item, (_, _, corrected, entities) in zip(victims, MESSAGES):
        annotations.annotate(
            staff(),
            sender_id,
            item["event_id"],
            item["text"],
            item["intent"],
            item["confidence"],
            corrected,
            annotations.parse_entities(entities, item["text"]),
        )


def test_nlu_export_is_redacted_deduplicated_and_readable_by_rasa(database, tmp_path):
    annotate_all("web:export")
    result = export.export_nlu()
    assert result.path.parent == tmp_path / "nlu" and result.path.name.startswith("review_export_")
    assert (result.written, result.duplicates, result.in_test_set, result.buttons) == (3, 2, 1, 1)
    assert result.conflicts == [(export.clean_text(a_training_example("spam")), "rancongiciel", "spam")]

    data = RasaYAMLReader().read(result.path)
    examples = {(m.get("text"), m.get("intent")) for m in data.training_examples}
    assert examples == {
        (f"un faux site (banque) m'a pris {CARD} (urgent)", "hameconnage"),
        ("mon compte insta a été piraté par un inconnu", "piratage_compte"),
        ("des pubs partout sur mon téléphone", "logiciel_malveillant"),
    }
    entities = {m.get("text"): m.get("entities") for m in data.training_examples}
    assert entities["mon compte insta a été piraté par un inconnu"] == [
        {"start": 11, "end": 16, "value": "Instagram", "entity": "platform"}
    ]
    assert entities["des pubs partout sur mon téléphone"][0]["value"] == "téléphone"
    assert "4970" not in result.path.read_text()

    with db.session() as s:
        assert all(a.exported_at for a in s.scalars(select(MessageAnnotation)))
    again = export.export_nlu()
    assert again.path is None and again.written == 0  # nothing new: no empty file
    assert len(list((tmp_path / "nlu").glob("*.yml"))) == 1


def test_a_changed_annotation_is_exported_again_and_deduplicated_against_earlier_exports(database, tmp_path):
    annotate_all("web:again")
    first = export.export_nlu()
    victims = [i for i in transcripts.build("web:again").items if i.get("who") == "victim"]
    annotations.annotate(
        staff(), "web:again", victims[1]["event_id"], victims[1]["text"], "hameconnage", 0.6, "piratage_compte", []
    )
    second = export.export_nlu()
    assert second.path is None and second.duplicates == 1  # already in the first export file
    assert first.path.exists()


def test_excluded_messages_are_never_exported(database):
    conversation = Conversation("web:excluded", NOW).victim("texte d'un proche, hors sujet", "out_of_scope", 0.4)
    review_data.store(db.engine().url.render_as_string(hide_password=False), [conversation])
    item = next(i for i in transcripts.build("web:excluded").items if i.get("who") == "victim")
    annotations.annotate(
        staff(), "web:excluded", item["event_id"], item["text"], item["intent"], 0.4, "out_of_scope", [], exclude=True
    )
    assert export.export_nlu().written == 0


def test_annotation_input_is_checked(database):
    message = "mon compte insta a été piraté"
    with pytest.raises(annotations.AnnotationError, match="n'existe pas"):
        annotations.parse_entities("couleur=insta", message)
    with pytest.raises(annotations.AnnotationError, match="ne figure pas"):
        annotations.parse_entities("platform=facebook", message)
    with pytest.raises(annotations.AnnotationError, match="entité=extrait"):
        annotations.parse_entities("platform", message)
    with pytest.raises(annotations.AnnotationError, match="intention"):
        annotations.annotate(staff(), "web:x", 1, message, "x", 0.5, "pas_une_intention", [])
    with pytest.raises(annotations.AnnotationError, match="étiquette"):
        annotations.add_tag(staff(), "web:x", "<script>")


def test_a_conversation_becomes_a_valid_redacted_test_story(database, tmp_path):
    sender = "sms:+33612345678"
    review_data.store(
        db.engine().url.render_as_string(hide_password=False),
        [
            Conversation(sender, NOW - 300)
            .victim("bonjour", "greet", 0.99)
            .action("utter_greet")
            .bot("Bonjour…")
            .listen()
            .victim(
                "on m'a volé 4970 1012 3456 7893 sur amazon",
                "hameconnage",
                0.5,
                entities=[{"entity": "platform", "value": "Amazon", "start": 36, "end": 42}],
            )
            .action("action_diagnose")
            .slot("incident", "fraude_carte_bancaire")
            .slot("advice_given", {"long": "value"})
            .slot("provider_location_needed", True)
            .action("qualification_form")
            .loop("qualification_form")
            .slot("requested_slot", "money_paid")
            .listen()
            .victim("/affirm", "affirm", 1.0)
            .action("qualification_form")
            .listen()
            .pause()
            .bot("ici Camille", operator="Camille")
            .victim("merci", "thank")
            .resume()
        ],
    )
    victim = [i for i in transcripts.build(sender).items if i.get("who") == "victim"][1]
    annotations.annotate(
        staff(),
        sender,
        victim["event_id"],
        victim["text"],
        "hameconnage",
        0.5,
        "fraude_carte_bancaire",
        annotations.parse_entities("platform=amazon=>Amazon", victim["text"]),
    )

    path = export.export_story(sender)
    assert path.parent == tmp_path / "stories"
    content = path.read_text(encoding="utf-8")
    assert "4970" not in content and "33612345678" not in content and "Camille" not in content
    steps = YAMLStoryReader().read_from_file(path, skip_validation=False)
    events = [e for step in steps for e in step.events]
    users = [e for e in events if isinstance(e, UserUttered)]
    assert [u.intent_name for u in users] == ["greet", "fraude_carte_bancaire", "affirm"]  # stops at the pause
    assert users[1].text == f"on m'a volé {CARD} sur amazon"
    assert users[1].entities[0]["entity"] == "platform" and users[1].entities[0]["value"] == "Amazon"
    slots = {e.key for e in events if type(e).__name__ == "SlotSet"}
    assert slots == {"provider_location_needed", "requested_slot"}  # only what drives the dialogue
    assert export.export_story("web:nobody") is None


@pytest.fixture(scope="module")
def validate_env():
    return server_env("sqlite:///unused.db")


def test_rasa_data_validate_accepts_the_training_data_with_an_export(tmp_path, monkeypatch, validate_env):
    """The real `rasa data validate` on a copy of bot/data plus an export (takes about 20 to 40 seconds)."""
    with review_data.review_database("sqlite", tmp_path, monkeypatch):
        annotate_all("web:validate")
        data = tmp_path / "data"
        shutil.copytree(ROOT / "bot" / "data", data)
        result = export.export_nlu(data / "nlu")
        assert result.written == 3 and result.path.parent == data / "nlu"
    run = subprocess.run(
        [
            RASA,
            "data",
            "validate",
            "--data",
            str(data),
            "--domain",
            str(ROOT / "domain.yml"),
            "--config",
            str(ROOT / "config.yml"),
        ],
        cwd=ROOT,
        env=validate_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    # `rasa data validate` only warns about intents missing from the domain or sentences labelled twice: the only
    # warnings allowed are those the project's data already has (responses used by custom actions, button intents).
    warnings = [
        line.split("UserWarning: ", 1)[1] for line in (run.stdout + run.stderr).splitlines() if "UserWarning: " in line
    ]
    unexpected = [
        w
        for w in warnings
        if "is not used in any story or rule" not in w
        and "is listed in the domain file, but is not found in the NLU training data" not in w
    ]
    assert unexpected == []


def test_the_story_command_takes_the_number_staff_see_and_prints_no_session_id(database, tmp_path, capsys):
    """Staff know a web conversation by its number in the review list, never by its session id (the key to it)."""
    sender = "web:0b6f2c4e-8d1a-4c3b-9e7f-5a2d6c8b4f2c"
    review_data.store(
        database, [review_data.diagnosed(sender, NOW - 600, "on m'a volé ma carte", "fraude_carte_bancaire")]
    )
    index.refresh(settle_seconds=0)
    with db.session() as s:
        number = s.scalar(select(ConversationIndex.id).where(ConversationIndex.sender_id == sender))
        assert number is not None
    assert review.main(["export-story", str(number)]) == 0
    printed = capsys.readouterr()
    assert len(list((tmp_path / "stories").glob("*.yml"))) == 1
    assert review.main(["export-story", str(number + 1000)]) == 1
    refused = capsys.readouterr()
    assert f"Aucune conversation n° {number + 1000}" in refused.err
    with db.session() as s:
        targets = [a.target or "" for a in s.scalars(select(AuditLog).where(AuditLog.action == "export_story"))]
    assert targets == ["web:…4f2c"]
    assert not any(sender[4:] in text for text in (printed.out, printed.err, refused.out, refused.err, *targets))
