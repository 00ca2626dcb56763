"""The "vague en cours" notices (bot/notices.py) and how the journey reads them (bot/actions/diagnosis.py): which
victims a notice concerns (same incident and a description close to the alert's sample, or the incident alone), the
notice in force only between its start and its end, shown once per conversation after the diagnosis, on SMS in the
message after the question; its sample blanked when the conversation it came from is erased. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from bot import db, erasure, notices, privacy
from bot.actions.diagnosis import ActionDiagnose
from bot.handover import utcnow
from channels.sms_text import page_turn
from tests.databases import temporary_database
from tests.support.campaign import ORDINARY, variants
from tests.test_sms_pages import QUESTION

SAMPLE = privacy.redact(variants(1, seed=1)[0])


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path, monkeypatch):
    with temporary_database(request.param, tmp_path) as url:
        monkeypatch.setenv("DATABASE_URL", url)
        db.create_all(url)
        yield url


def publish(incident="sextorsion", sample=SAMPLE, terms=None, days=7, now=None, **more) -> notices.Notice:
    return notices.create(
        incident,
        "Faux piratage de webcam",
        "Un e-mail prétend que vous avez été filmé et réclame des bitcoins : c'est une arnaque de masse.",
        "Ne payez pas, ne répondez pas, signalez le message sur signal-spam.fr.",
        sample=sample,
        terms=terms,
        days=days,
        now=now,
        **more,
    )


# --- the similarity threshold -------------------------------------------------------------------------------------
def test_the_threshold_tells_pasted_variants_from_the_victims_own_words():
    reference = notices.ngrams(SAMPLE)
    pasted = [notices.similarity(notices.ngrams(text), reference) for text in variants(60)]
    ordinary = [notices.similarity(notices.ngrams(text), reference) for text in ORDINARY]
    assert min(pasted) >= notices.SIMILARITY_THRESHOLD + 0.15, "every variant, with room to spare"
    assert max(ordinary) <= notices.SIMILARITY_THRESHOLD - 0.1, "no ordinary description"


def test_redaction_tokens_numbers_and_accents_do_not_count():
    assert notices.normalise("Payez 750 € à «adresse crypto masquée», MAINTENANT !") == "payez a maintenant"
    assert notices.similarity({}, notices.ngrams("texte")) == 0.0


# --- which notice a victim reads ----------------------------------------------------------------------------------
def test_a_close_description_of_the_same_incident_matches_and_others_do_not(database):
    notice = publish()
    assert notices.matching("sextorsion", variants(1, seed=99)[0]) == notice
    assert notices.matching("sextorsion", ORDINARY[1]) is None, "the same incident in other words"
    assert notices.matching("hameconnage", variants(1, seed=99)[0]) is None, "another incident"
    assert notices.matching(None, variants(1)[0]) is None


def test_a_wave_notice_without_sample_concerns_every_victim_of_its_incident(database):
    notice = publish(incident="faux_conseiller_bancaire", sample=None)
    assert notices.matching("faux_conseiller_bancaire", "mon conseiller m'a appelé") == notice
    assert notices.matching("arnaque_achat", "mon conseiller m'a appelé") is None


def test_the_words_a_supervisor_chose_match_whole_words_without_accents(database):
    notice = publish(sample=None, terms="Ameli, carte vitale")
    assert notices.matching("sextorsion", "un SMS de l'AMÉLI pour ma carte Vitale") == notice
    assert notices.matching("sextorsion", "ma caméra filmait") is None, "'ameli' inside 'camera' is not the word"


def test_only_a_notice_in_force_is_read(database):
    now = utcnow()
    expired = publish(days=1, now=now - timedelta(days=2))
    ended = publish()
    future = publish(now=now + timedelta(hours=1))
    assert notices.revoke(ended.id, by=3)
    assert not notices.revoke(ended.id), "ended once"
    assert not notices.revoke(expired.id), "an expired notice cannot be ended"
    assert notices.matching("sextorsion", variants(1)[0]) is None
    assert notices.current() == []
    assert notices.current(now + timedelta(hours=2)) == [future]
    assert notices.last_change(now) is not None


def test_notice_texts_are_plain_one_line_and_length_limited(database):
    with pytest.raises(notices.InvalidNotice, match="Titre : 60 caractères au plus"):
        notices.create("sextorsion", "x" * 61, "texte", "réflexe")
    with pytest.raises(notices.InvalidNotice, match="Réflexe : à remplir"):
        notices.create("sextorsion", "titre", "texte", " \n\t ")
    with pytest.raises(notices.InvalidNotice, match="Durée : entre 1 et 90 jours"):
        notices.create("sextorsion", "titre", "texte", "réflexe", days=365)
    notice = notices.create("sextorsion", "Titre\x00\u202e<b>", "ligne 1\nligne 2", "réflexe")
    assert (notice.title, notice.text) == ("Titre <b>", "ligne 1 ligne 2"), "stored as written, escaped when shown"


def test_erasing_the_conversation_of_the_sample_blanks_it_and_keeps_the_notice(database):
    kept = publish(sample_sender_id="web:victim-of-the-sample")
    other = publish(sample_sender_id="web:someone-else")
    erasure.forget(["web:victim-of-the-sample"])
    with db.session() as session:
        rows = {row.id: row for row in session.scalars(select(notices.WaveNotice))}
    assert rows[kept.id].sample is None and rows[kept.id].sample_sender_id is None
    assert rows[other.id].sample == SAMPLE, "other notices keep theirs"
    assert {n.id for n in notices.current()} == {kept.id, other.id}


# --- the journey --------------------------------------------------------------------------------------------------
def tracker(text: str, channel: str = "rest", events=None, intent: str = "sextorsion") -> Tracker:
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.95},
        "intent_ranking": [{"name": intent, "confidence": 0.95}],
        "entities": [],
    }
    user = {"event": "user", "text": text, "input_channel": channel, "parse_data": latest}
    return Tracker("test", {}, latest, (events or []) + [user], False, None, {}, "action_listen")


def diagnose(t: Tracker) -> list:
    dispatcher = CollectingDispatcher()
    ActionDiagnose().run(dispatcher, t, {})
    return dispatcher.messages


def test_the_notice_follows_the_diagnosis_once_per_conversation(database):
    notice = publish()
    messages = diagnose(tracker(variants(1, seed=5)[0]))
    texts = [m.get("text") or "" for m in messages]
    assert "vous semblez être victime" in texts[0]
    told = [m for m in messages if (m.get("text") or "").startswith("Vague en cours : Faux piratage de webcam.")]
    assert len(told) == 1 and told[0][notices.METADATA_KEY] == notice.id and messages[-1] is told[0]
    assert "Le réflexe : Ne payez pas" in told[0]["text"]
    # The same conversation later (the bot's message carries the notice's id in its metadata): not again.
    earlier = [{"event": "bot", "text": told[0]["text"], "metadata": {notices.METADATA_KEY: notice.id}}]
    again = diagnose(tracker(variants(1, seed=6)[0], events=earlier))
    assert not any("Vague en cours" in (m.get("text") or "") for m in again)
    assert not any("Vague en cours" in (m.get("text") or "") for m in diagnose(tracker(ORDINARY[3])))


def test_a_button_chosen_to_name_the_incident_is_matched_on_the_description_before_it(database):
    publish()
    pasted = {"event": "user", "text": variants(1, seed=8)[0], "input_channel": "rest", "parse_data": {}}
    messages = diagnose(tracker("/sextorsion", events=[pasted]))
    assert any("Vague en cours" in (m.get("text") or "") for m in messages)


def test_without_the_table_the_diagnosis_goes_on_without_notice(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    messages = diagnose(tracker(variants(1)[0]))
    assert "vous semblez être victime" in messages[0]["text"]
    assert not any("Vague en cours" in (m.get("text") or "") for m in messages)


def test_on_sms_the_first_message_stays_diagnosis_reflex_question_and_the_notice_comes_next(database):
    publish()
    messages = diagnose(tracker(variants(1, seed=5)[0], channel="sms"))
    pages = page_turn(messages + [QUESTION], messages_now=2)
    first, second = pages.now
    assert "Il semble que vous soyez victime" in first and "Premier réflexe" in first and "Avez-vous payé" in first
    assert "Vague en cours" not in first
    assert second.startswith("2/2 Vague en cours : Faux piratage de webcam.") and "Le réflexe : Ne payez pas" in second
