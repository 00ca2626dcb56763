"""Input cleaning and the always-answer safety net shared by every channel."""

from channels.common import (
    EMPTY_REPLY,
    MAX_NLU_CHARS,
    SAFETY_REPLY,
    TRUNCATED_NOTE,
    clean_input,
    ensure_reply,
)


def test_binary_junk_becomes_plain_text_and_is_kept_whole():
    raw = "abc\x00\x01\x02\udcff def\x7f"
    cleaned = clean_input(raw)
    assert cleaned.text == "abc def"
    assert cleaned.metadata["original_text"] == raw


def test_bytes_are_decoded():
    assert clean_input("j'ai été piraté".encode()).text == "j'ai été piraté"


def test_empty_and_none_give_empty_text():
    assert clean_input(None).text == ""
    assert clean_input("   \n\t ").text == ""


def test_huge_message_is_truncated_for_the_nlu_but_stored_whole():
    raw = "mon compte a été piraté. " * 1000  # 25 kB
    cleaned = clean_input(raw)
    assert cleaned.truncated
    assert len(cleaned.text) == MAX_NLU_CHARS
    assert cleaned.metadata["original_text"] == raw


def test_plain_message_has_no_extra_metadata():
    cleaned = clean_input("bonjour")
    assert cleaned == ("bonjour", {}, False)


def test_no_reply_gets_the_safety_reply_unless_an_operator_owns_the_conversation():
    assert ensure_reply([], paused=False) == [{"text": SAFETY_REPLY}]
    assert ensure_reply([], paused=True) == []
    assert "17" in SAFETY_REPLY and "112" in SAFETY_REPLY and "17cyber" in SAFETY_REPLY
    assert "112" in EMPTY_REPLY


def test_truncated_message_gets_a_note_after_the_replies():
    replies = ensure_reply([{"text": "diagnostic"}], paused=False, truncated=True)
    assert replies == [{"text": "diagnostic"}, {"text": TRUNCATED_NOTE}]
