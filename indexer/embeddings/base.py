"""The :class:`Embedder` interface every embedding model is used through."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np


class EmbedderError(RuntimeError):
    """An embedder cannot be created or cannot embed (the message names the model and cause)."""


def l2_normalised(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length, as float32 (all-zero rows stay zero)."""
    v = np.asarray(vectors, dtype=np.float32)
    if v.ndim == 1:
        n = float(np.linalg.norm(v))
        return v / n if n > 0 else v
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (v / norms).astype(np.float32, copy=False)


class Embedder(ABC):
    """A text embedding model: passages (documents) and queries into one vector space.

    ``name`` is a stable id of the model (and of how it is run): it is stored with every
    vector, so vectors of another model are never compared with this one's and switching the
    model re-embeds everything. Vectors are float32 and L2-normalised, so the dot product is
    the cosine similarity.
    """

    name: str = "base"
    dim: int = 0

    @abstractmethod
    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) float32, one unit-length row per text."""

    @abstractmethod
    def embed_query(self, text: str) -> np.ndarray:
        """(dim,) float32 unit vector of a search query."""

    def close(self) -> None:
        """Release the model."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} dim={self.dim}>"
