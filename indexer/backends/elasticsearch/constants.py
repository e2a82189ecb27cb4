"""The Elasticsearch backend's constants: language analyzers, boosts, limits, markers."""

from __future__ import annotations

import re

SCHEMA_VERSION = 5  # stored in the mapping's _meta; bump when index_body() changes (3: listing;
# 5: the city facet, deadline and event_until)
# 2: pre-analysed stems_<code>/parts_<code> fields; 4: the vector and vector_model fields
DEFAULT_INDEX = "ccp-resources"

# ISO 639-1 code -> Elasticsearch's built-in language analyzer, for the EU/EEA and regional
# languages it has one for. Polish, Slovak, Slovenian, Croatian and Maltese have none built in
# (Polish would need the analysis-stempel plugin): their text goes to the "other" slot. Every
# language of indexer.stemming.PYTHON_LANGUAGES (these and Lithuanian, Czech, Latvian,
# Estonian, Bulgarian, Catalan, Basque, Irish) is also analysed in Python, for both engines
# alike, into the pre-analysed stems_<code> fields: no plugin is needed.
LANGUAGE_ANALYZERS: dict[str, str] = {
    "bg": "bulgarian",
    "ca": "catalan",
    "cs": "czech",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "es": "spanish",
    "et": "estonian",
    "eu": "basque",
    "fi": "finnish",
    "fr": "french",
    "ga": "irish",
    "gl": "galician",
    "hu": "hungarian",
    "it": "italian",
    "lt": "lithuanian",
    "lv": "latvian",
    "nl": "dutch",
    "no": "norwegian",
    "pt": "portuguese",
    "ro": "romanian",
    "sv": "swedish",
}
LANGUAGE_ALIASES: dict[str, str] = {"nb": "no", "nn": "no"}
OTHER_SLOT = "other"

FOLD_ANALYZER = "ccp_fold"
# Words are runs of letters and digits, exactly like indexer.analysis.words (the query side).
WORD_SPLIT_PATTERN = r"[^\p{L}\p{N}]+"

TITLE_BOOST = 3.0
SNIPPET_CHARS = 240
HIGHLIGHT_MAX_CHARS = 20_000  # highlighting analyses at most this much of a document's text
HIGHLIGHT_FRAGMENTS = 3  # best passages asked for; the first one not from the title is shown
LEAD_CHARS = 600  # the stored start of the body, for snippets of hits without a match in it
KEYWORD_MAX_CHARS = 512  # longer facet values are stored but not indexed (ignore_above)

MAX_RESULT_WINDOW = 10_000  # from + size beyond this is paged with search_after
MAX_QUERY_CLAUSES = 20  # words/phrases searched per query (each expands into SEARCH_FIELDS)
PIT_KEEP_ALIVE = "2m"

# Embedding vectors (indexer.embeddings): a dense_vector field searched with kNN (HNSW), and
# the model that computed each document's vector. The dimensions are the default embedder's
# unless a rebuild is told otherwise (ElasticsearchBackend.prepare_vectors).
VECTOR_FIELD = "vector"
VECTOR_MODEL_FIELD = "vector_model"
DEFAULT_VECTOR_DIMS = 384
VECTOR_SIMILARITY = "cosine"  # _score = (1 + cosine) / 2
VECTOR_META_SECONDS = 30.0  # how long a searcher trusts the vector model/shift it read
KNN_MAX_CANDIDATES = 10_000  # Elasticsearch's limit for num_candidates
KNN_CANDIDATES_PER_HIT = 4  # num_candidates = this × k (at least 100): recall of the HNSW search

BULK_CHUNK_DOCS = 500
BULK_CHUNK_BYTES = 8_000_000

# Highlight markers: private-use characters that are removed from indexed text, so every marker
# in a fragment is one Elasticsearch put there.
PRE_TAG = "\ue000"
POST_TAG = "\ue001"
MARKERS = {ord(PRE_TAG): None, ord(POST_TAG): None}

# simple_query_string operators the compiled syntax uses; PREFIX, FUZZY, NEAR, SLOP and ESCAPE
# stay off so no user input can turn into an expensive or invalid query.
QUERY_FLAGS = "OR|NOT|PHRASE|PRECEDENCE|WHITESPACE"

INDEX_NAME_BAD = re.compile(r'[\\/*?"<>| ,#:A-Z]')
TIMESTAMP_FORMAT = "%Y%m%d-%H%M%S-%f"
# the aggregation counting the text's own matches of a query with also_ids (indexer.hybrid)
LEXICAL_AGG = "lexical"
