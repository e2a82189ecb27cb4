"""Embedders of the Python ecosystem, loading a model from a local directory only.

``sentence-transformers:/path/to/model`` and ``fastembed:/path/to/model`` load a model that
was downloaded (or copied) there beforehand; nothing is fetched at run time. Neither package is
a dependency of the portal: install the one you use (``pip install sentence-transformers`` or
``pip install fastembed``). sentence-transformers uses a GPU when torch sees one.

e5-style models expect ``"query: "`` and ``"passage: "`` prefixes: when the model directory's
name contains ``e5`` they are added (pass ``prefixes=False`` to turn that off).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .base import Embedder, EmbedderError, l2_normalised


def _model_dir(kind: str, path: str) -> Path:
    directory = Path(path).expanduser()
    if not directory.is_dir():
        raise EmbedderError(f"{kind} model directory {directory} does not exist (download the "
                            "model there first: the portal never fetches models)")
    return directory.resolve()


def _stable_name(kind: str, directory: Path) -> str:
    """``<kind>:<directory name>@<hash of its config files>``: a new model in the same directory
    gets a new name, so its vectors are recomputed."""
    digest = hashlib.sha256()
    for name in sorted(p.name for p in directory.iterdir() if p.suffix == ".json"):
        digest.update(name.encode() + b"\0" + (directory / name).read_bytes())
    return f"{kind}:{directory.name}@{digest.hexdigest()[:12]}"


def _missing(package: str, kind: str, exc: ImportError) -> EmbedderError:
    return EmbedderError(f"CCP_EMBEDDER={kind}:… needs the '{package}' package, which is not "
                         f"installed: pip install {package} ({exc.name or exc})")


class _Prefixed(Embedder):
    prefixes: bool

    def _passages(self, texts: Sequence[str]) -> list[str]:
        return [("passage: " if self.prefixes else "") + (t or " ") for t in texts]

    def _query(self, text: str) -> str:
        return ("query: " if self.prefixes else "") + (text or " ")


class SentenceTransformersEmbedder(_Prefixed):
    """A sentence-transformers model from a local directory (GPU when torch has one)."""

    def __init__(self, path: str, *, prefixes: bool | None = None, device: str | None = None,
                 batch_size: int = 32) -> None:
        directory = _model_dir("sentence-transformers", path)
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise _missing("sentence-transformers", "sentence-transformers", exc) from exc
        try:
            self._model = SentenceTransformer(str(directory), device=device,
                                              local_files_only=True)
        except Exception as exc:  # noqa: BLE001 - any failure to load names the directory
            raise EmbedderError(f"the sentence-transformers model in {directory} cannot be "
                                f"loaded: {exc}") from exc
        self.dim = int(self._model.get_sentence_embedding_dimension())
        self.name = _stable_name("sentence-transformers", directory)
        self.prefixes = "e5" in directory.name.lower() if prefixes is None else prefixes
        self.batch_size = batch_size

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = self._model.encode(self._passages(texts), batch_size=self.batch_size,
                                 normalize_embeddings=True, convert_to_numpy=True)
        return l2_normalised(out)

    def embed_query(self, text: str) -> np.ndarray:
        out = self._model.encode([self._query(text)], normalize_embeddings=True,
                                 convert_to_numpy=True)
        return l2_normalised(out[0])


class FastembedEmbedder(_Prefixed):
    """A fastembed (ONNX) model from a local directory."""

    def __init__(self, path: str, *, prefixes: bool | None = None, model_name: str | None = None,
                 threads: int | None = 1) -> None:
        directory = _model_dir("fastembed", path)
        try:
            from fastembed import TextEmbedding
        except ImportError as exc:
            raise _missing("fastembed", "fastembed", exc) from exc
        try:
            self._model = TextEmbedding(model_name=model_name or directory.name,
                                        specific_model_path=str(directory),
                                        local_files_only=True, threads=threads)
        except Exception as exc:  # noqa: BLE001 - any failure to load names the directory
            raise EmbedderError(f"the fastembed model in {directory} cannot be loaded: "
                                f"{exc}") from exc
        probe = np.asarray(next(iter(self._model.embed(["dimension probe"]))))
        self.dim = int(probe.shape[-1])
        self.name = _stable_name("fastembed", directory)
        self.prefixes = "e5" in directory.name.lower() if prefixes is None else prefixes

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return l2_normalised(np.stack(list(self._model.embed(self._passages(texts)))))

    def embed_query(self, text: str) -> np.ndarray:
        return l2_normalised(np.asarray(next(iter(self._model.embed([self._query(text)])))))
