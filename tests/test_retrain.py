"""The comparison `make retrain` prints (benchmarks/retrain.py), on predictions made up for the purpose: training a
real candidate takes minutes and is not done here."""

import json
import os
import time
from datetime import datetime, timezone

from benchmarks import retrain
from benchmarks.bench_nlu import evaluate

TEST = [
    ("sms colissimo avec un lien", "hameconnage"),
    ("mail des impôts bizarre", "hameconnage"),
    ("faux site de ma banque", "hameconnage"),
    ("on a piraté mon compte", "piratage_compte"),
    ("je n'ai plus accès à instagram", "piratage_compte"),
    ("mes fichiers sont chiffrés", "rancongiciel"),
    ("je vais me tuer", "emergency_danger"),
    ("il arrive avec un couteau", "emergency_danger"),
    ("bonjour", "greet"),
]
TRUTH = dict(TEST)


def predictor(**wrong):
    """Right everywhere except for the texts given (text -> predicted intent)."""
    return lambda text: wrong.get(text, TRUTH[text])


def test_a_better_candidate_is_reported_with_its_per_intent_changes_and_nothing_is_switched():
    current = evaluate(
        predictor(**{"mail des impôts bizarre": "spam", "faux site de ma banque": "piratage_compte"}), TEST
    )
    candidate = evaluate(predictor(), TEST)
    comparison = retrain.compare(current, candidate)
    assert comparison["verdict"] == "better" and comparison["warnings"] == []
    assert comparison["macro_f1_incidents"]["delta"] > 0 and comparison["accuracy"]["delta"] == round(2 / 9, 4)
    changed = {c["intent"]: c for c in comparison["per_intent_changes"]}
    assert set(changed) == {"hameconnage", "piratage_compte"}  # per test-set intent
    assert changed["hameconnage"]["recall_current"] < changed["hameconnage"]["recall_candidate"] == 1.0
    text = retrain.report(comparison, "models/current.tar.gz", "models/candidates/candidate.tar.gz")
    assert "hameconnage" in text and "Verdict: the candidate is better" in text
    assert "Nothing was switched: the model in service is still models/current.tar.gz" in text


def test_a_candidate_that_misses_an_emergency_is_rejected_even_if_better_elsewhere():
    current = evaluate(predictor(**{"mail des impôts bizarre": "spam"}), TEST)
    candidate = evaluate(predictor(**{"il arrive avec un couteau": "cyberharcelement"}), TEST)
    current["blind"] = {"emergency_recall": 1.0}
    candidate["blind"] = {"emergency_recall": 0.9}
    comparison = retrain.compare(current, candidate)
    assert comparison["verdict"] == "worse"
    assert len(comparison["warnings"]) == 2 and "emergency recall on tests/nlu DROPS" in comparison["warnings"][0]
    text = retrain.report(comparison, "a", "b")
    assert "WARNING" in text and "keep the current model" in text and "blind emergency recall" in text


def test_identical_models_show_no_difference():
    same = evaluate(predictor(**{"bonjour": "out_of_scope"}), TEST)
    comparison = retrain.compare(same, dict(same))
    assert comparison["verdict"] == "similar" and comparison["per_intent_changes"] == []
    assert "no per-intent F1 change" in retrain.report(comparison, "a", "b")


def test_the_model_in_service_is_the_newest_top_level_model_never_a_candidate(tmp_path, monkeypatch):
    monkeypatch.setattr(retrain, "MODELS", tmp_path)
    (tmp_path / "candidates").mkdir()
    older, newer = tmp_path / "old.tar.gz", tmp_path / "new.tar.gz"
    older.write_bytes(b"x")
    newer.write_bytes(b"x")
    os.utime(older, (time.time() - 100, time.time() - 100))
    (tmp_path / "candidates" / "candidate.tar.gz").write_bytes(b"x")
    assert retrain.model_in_service() == newer


def test_a_model_trained_before_an_erasure_of_training_text_is_flagged(tmp_path, monkeypatch):
    monkeypatch.setenv("CYBERAIDE_VAR_DIR", str(tmp_path))
    model = tmp_path / "model.tar.gz"
    model.write_bytes(b"x")
    trained = time.time() - 3600
    os.utime(model, (trained, trained))
    assert retrain.erasure_warning(model) is None  # no erasure ever

    def erased(*entries):
        at = [{"at": datetime.fromtimestamp(t, timezone.utc).isoformat(), "examples": n} for t, n in entries]
        (tmp_path / "erasures.json").write_text(json.dumps({"training_text_erased": at}))

    erased((trained - 60, 9), (trained + 60, 2), (trained + 120, 1))  # the first one was before the training
    warning = retrain.erasure_warning(model)
    assert warning.startswith("WARNING: the model in service") and str(model) in warning
    assert "(3 example(s) erased" in warning and "must be retrained" in warning

    erased((trained - 60, 9))
    assert retrain.erasure_warning(model) is None
