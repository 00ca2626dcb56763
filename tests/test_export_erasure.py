"""Erasing a victim erases their words from the export files too: the NLU export is rewritten without their
examples (another victim's stay), their story file is deleted, their manifest is gone (SQLite and PostgreSQL)."""

import json
import time

import pytest
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

from bot import db, erasure
from console import annotations, export, retention, transcripts
from tests import review_data
from tests.review_data import Conversation, staff
from tests.test_retention import everything

NOW = time.time()
VICTIM, OTHER = "sms:+33612345678", "web:11111111-1111-4111-8111-111111111111"
WORDS = {
    VICTIM: "ma fille a reçu des menaces de la part de son ex sur snap",
    OTHER: "on a piraté la boîte mail de la mairie",
}


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path, monkeypatch):
    env = {"EXPORT_DIR": str(tmp_path / "exports")}
    with review_data.review_database(request.param, tmp_path, monkeypatch, env) as url:
        yield url


def converse_and_annotate(sender_id: str, intent: str) -> None:
    conversation = Conversation(sender_id, NOW - 600).victim(WORDS[sender_id], intent, 0.6).action("action_listen")
    review_data.store(db.engine().url.render_as_string(hide_password=False), [conversation])
    item = next(i for i in transcripts.build(sender_id).items if i.get("who") == "victim")
    annotations.annotate(staff(), sender_id, item["event_id"], item["text"], intent, 0.6, intent, [])


def test_forget_rewrites_the_nlu_export_and_deletes_the_story(database, tmp_path):
    converse_and_annotate(VICTIM, "cyberharcelement")
    converse_and_annotate(OTHER, "piratage_compte")
    nlu = export.export_nlu().path
    stories = {sender: export.export_story(sender) for sender in (VICTIM, OTHER)}
    exports = tmp_path / "exports"
    assert nlu.parent == exports / "nlu" and all(p.parent == exports / "stories" for p in stories.values())
    assert WORDS[VICTIM] in nlu.read_text(encoding="utf-8") and WORDS[VICTIM] in stories[VICTIM].read_text("utf-8")
    assert "33612345678" not in stories[VICTIM].name  # a keyed hash names the file

    counts = erasure.forget([VICTIM])

    assert counts["exports"] == 2
    assert set(everything(VICTIM).values()) == {0}  # nor in the database: events, index, annotations…
    assert set(everything(OTHER).values()) != {0}
    assert not stories[VICTIM].exists() and stories[OTHER].exists()
    remaining = {m.get("text") for m in RasaYAMLReader().read(nlu).training_examples}
    assert remaining == {WORDS[OTHER]}
    files = "".join(p.read_text(encoding="utf-8", errors="ignore") for p in exports.rglob("*") if p.is_file())
    assert WORDS[VICTIM] not in files and "menaces" not in files
    assert len(list((exports / "manifests").glob("*.json"))) == 1  # the other victim's

    erasure.forget([OTHER])
    assert not nlu.exists() and not stories[OTHER].exists()  # the file held nobody else's words


def test_promotion_rechecks_the_redaction_and_refuses_what_it_would_change(tmp_path):
    safe, unsafe = tmp_path / "review_export_safe.yml", tmp_path / "review_export_unsafe.yml"
    safe.write_text('version: "3.1"\nnlu:\n- intent: hameconnage\n  examples: |\n    - un faux sms de la poste\n')
    unsafe.write_text(
        'version: "3.1"\nnlu:\n- intent: hameconnage\n  examples: |\n    - rappelez moi au 06 12 34 56 78\n'
    )
    into = tmp_path / "nlu"
    into.mkdir()
    assert export.promote(safe, into).read_text() == safe.read_text()
    with pytest.raises(export.PromotionError, match="données personnelles"):
        export.promote(unsafe, into)
    assert not (into / unsafe.name).exists()
    with pytest.raises(export.PromotionError, match="existe déjà"):
        export.promote(safe, into)


def test_forget_removes_the_victims_examples_from_a_promoted_training_file_and_records_the_erasure(
    database, tmp_path, monkeypatch, capsys
):
    training = tmp_path / "bot_data_nlu"
    training.mkdir()
    monkeypatch.setattr(export, "NLU_DIR", training)
    monkeypatch.setenv("CYBERAIDE_VAR_DIR", str(tmp_path / "var"))
    converse_and_annotate(VICTIM, "cyberharcelement")
    converse_and_annotate(OTHER, "piratage_compte")
    promoted = export.promote(export.export_nlu().path, training)
    assert WORDS[VICTIM] in promoted.read_text(encoding="utf-8")

    counts = erasure.forget([VICTIM])

    assert counts["training"] == 1 and "1 fichier(s) d'entraînement" in erasure.describe(counts)
    assert {m.get("text") for m in RasaYAMLReader().read(promoted).training_examples} == {WORDS[OTHER]}
    marker = tmp_path / "var" / "erasures.json"
    (entry,) = json.loads(marker.read_text(encoding="utf-8"))["training_text_erased"]
    assert entry["examples"] == 1 and set(entry) == {"at", "examples"}  # when and how many: nobody's id
    assert erasure.training_erasures(since=time.time() - 60) == [entry]
    assert erasure.training_erasures(since=time.time() + 60) == []

    assert retention.main(["forget", OTHER]) == 0
    assert erasure.RETRAIN_NOTICE in capsys.readouterr().out
    assert not promoted.exists()  # it held nobody else's words
    assert len(json.loads(marker.read_text(encoding="utf-8"))["training_text_erased"]) == 2
