"""Extraction intent of a prompt: a learned linear model over hashed byte n-grams.

A distillation harness sends dataset items wrapped to make the model show its
reasoning ("... Let's think step by step."), rubric-grading requests built
from judge prompts, and capability sweeps of instructions; people send
conversation. A fixed English regex catches the first kind only in the words
it lists (65% of real FLAN chain-of-thought templates, 44% of real judge
prompts, 1 in 9 paraphrased or translated requests). This module scores text
with a logistic regression learned from real prompts instead
(``models.text_intent`` trains it): ``extraction_intent = sigmoid(bias + sum of
the weights of the text's hashed n-grams / sqrt(their number))``.

The features are language-agnostic by construction: n-grams of UTF-8 **bytes**
(3, 4 and 6 long) of the lower-cased text with digit runs folded to one ``0``
and white space collapsed, from the text's head and tail only (the wrapper of a
templated item sits at either end, and the cost stays flat in the length). A
Chinese, Russian or Spanish phrase hashes to n-grams of its own bytes exactly as
an English one does, so the model can learn it from a few examples; nothing is
tokenised, so there is no vocabulary to miss. Each n-gram counts once per text
(binary presence), and the vector is L2-normalised, which is what
``intent_scores`` computes without building it.

Everything here is numpy over a batch of texts (one pass over the bytes,
vectorised rolling hashes), so the Spark job calls it in Arrow batches
(``with_extraction_intent``): about a microsecond per prompt-kilobyte per core,
no Python loop per n-gram.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
from pyspark.sql import DataFrame

# Bytes as the model sees them: ASCII digits fold to "0", white space to " " (one
# lookup per byte; runs are not collapsed, which costs nothing in accuracy here).
_BYTE_MAP = np.arange(256, dtype=np.uint8)
_BYTE_MAP[ord("0") : ord("9") + 1] = ord("0")
_BYTE_MAP[[ord(c) for c in "\t\n\r\x0b\x0c"]] = ord(" ")
# Multiplicative hashing constants (64-bit golden ratio; FNV's prime as the polynomial base).
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_BASE = np.uint64(0x100000001B3)


@dataclass(frozen=True)
class IntentVectorizerParams:
    """How text becomes hashed byte n-grams. Part of a trained model: never change one in place."""

    n_features: int = 1 << 18
    ngram_sizes: tuple[int, ...] = (3, 4, 6)
    head_bytes: int = 512  # the wrapper of a templated item is at the head or the tail
    tail_bytes: int = 256

    def as_dict(self) -> dict[str, object]:
        return {
            "n_features": self.n_features,
            "ngram_sizes": list(self.ngram_sizes),
            "head_bytes": self.head_bytes,
            "tail_bytes": self.tail_bytes,
        }


def _pieces(
    texts: Sequence[str | None], params: IntentVectorizerParams
) -> tuple[list[bytes], list[int]]:
    """Each text's head and tail bytes (lower-cased UTF-8), and the text each piece belongs to.

    A text longer than head + tail gives two pieces, so no n-gram spans the cut.
    """
    pieces: list[bytes] = []
    owners: list[int] = []
    budget = params.head_bytes + params.tail_bytes
    for index, text in enumerate(texts):
        if not text:
            continue
        data = text.lower().encode("utf-8", "replace")
        if len(data) <= budget:
            pieces.append(data)
            owners.append(index)
        else:
            pieces += [data[: params.head_bytes], data[-params.tail_bytes :]]
            owners += [index, index]
    return pieces, owners


def hashed_ngrams(
    texts: Sequence[str | None], params: IntentVectorizerParams
) -> tuple[np.ndarray, np.ndarray]:
    """``(rows, columns)``: every hashed n-gram occurrence of each text.

    ``rows[i]`` is the index of the text, ``columns[i]`` a feature index in
    ``[0, n_features)``; a repeated n-gram appears once per occurrence (term
    frequency). Rolling hashes of the sizes in ascending order reuse each other.
    """
    pieces, owners = _pieces(texts, params)
    if not pieces:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    lengths = np.fromiter((len(p) for p in pieces), dtype=np.int64, count=len(pieces))
    data = _BYTE_MAP[np.frombuffer(b"".join(pieces), dtype=np.uint8)].astype(np.uint64)
    owner_of_byte = np.repeat(np.asarray(owners, dtype=np.int64), lengths)
    piece_end = np.repeat(np.cumsum(lengths), lengths)  # where each byte's piece ends
    position = np.arange(data.size, dtype=np.int64)
    rows: list[np.ndarray] = []
    columns: list[np.ndarray] = []
    value = np.zeros(data.size, dtype=np.uint64)
    built = 0
    for size in sorted(params.ngram_sizes):
        count = data.size - size + 1
        if count <= 0:
            break
        value = value[:count]
        for offset in range(built, size):
            value = value * _BASE + data[offset : offset + count] + np.uint64(1)
        built = size
        valid = position[:count] + size <= piece_end[:count]
        mixed = (value[valid] ^ np.uint64(size)) * _GOLDEN
        columns.append((mixed >> np.uint64(40)).astype(np.int64) % params.n_features)
        rows.append(owner_of_byte[:count][valid])
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(rows), np.concatenate(columns)


def feature_matrix(texts: Sequence[str | None], params: IntentVectorizerParams):
    """The n-gram matrix the model is trained on (scipy CSR): term counts over sqrt(total).

    ``intent_scores`` computes ``weights @ row`` of this matrix without building it.
    """
    from scipy.sparse import csr_matrix

    rows, columns = hashed_ngrams(texts, params)
    totals = np.bincount(rows, minlength=len(texts)).astype(np.float64)
    values = 1.0 / np.sqrt(np.maximum(totals[rows], 1.0))
    # Duplicate (row, column) entries are summed by scipy: term counts.
    return csr_matrix((values, (rows, columns)), shape=(len(texts), params.n_features))


@dataclass(frozen=True)
class TextIntentModel:
    """A trained extraction-intent model: vectoriser parameters, weights and bias.

    ``version`` names where it came from (the MLflow registered version), so a
    feature row can say which text model scored it.
    """

    params: IntentVectorizerParams
    weights: np.ndarray = field(repr=False)  # float32, n_features
    bias: float
    version: str = "unregistered"

    def __post_init__(self) -> None:
        if self.weights.shape != (self.params.n_features,):
            raise ValueError(
                f"weights have shape {self.weights.shape}, expected ({self.params.n_features},)"
            )

    def __hash__(self) -> int:  # frozen with an array: hash by identity of content
        return hash((self.params, self.bias, self.version, self.weights.tobytes()[:64]))

    def scores(self, texts: Sequence[str | None]) -> np.ndarray:
        """Probability of extraction intent per text (float64); empty text scores the bias."""
        return intent_scores(self, texts)


# Texts are hashed a chunk at a time. ``hashed_ngrams`` holds eight bytes per byte of text
# in each of several arrays (and a temporary per operation): a whole Arrow batch (10,000
# prompts, up to 768 bytes each read) made them ~60 MB apiece, over glibc's largest heap
# block (32 MB), so every one was a fresh memory map whose pages the kernel zeroed again:
# the activity pass's Python workers spent as much time in the kernel as in the scoring.
# 512 texts keep each array under 3.2 MB, reused from the heap. Measured on 50,000 demo
# prompts, 10,000 a batch (bench/README.md, "The text model a chunk at a time"): 9.2 s
# (user 1.3 s, system 4.0 s) whole, 2.3 s (1.2 s, 0.05 s) by 500, 3.1 s by 1,000 and 3.3 s
# by 2,000 (the system time back, 0.9 s); the same scores.
SCORE_CHUNK_TEXTS = 512


def intent_scores(model: TextIntentModel, texts: Sequence[str | None]) -> np.ndarray:
    """Probability of extraction intent per text, ``SCORE_CHUNK_TEXTS`` texts at a time."""
    if len(texts) <= SCORE_CHUNK_TEXTS:
        return _chunk_scores(model, texts)
    return np.concatenate(
        [
            _chunk_scores(model, texts[start : start + SCORE_CHUNK_TEXTS])
            for start in range(0, len(texts), SCORE_CHUNK_TEXTS)
        ]
    )


def _chunk_scores(model: TextIntentModel, texts: Sequence[str | None]) -> np.ndarray:
    rows, columns = hashed_ngrams(texts, model.params)
    totals = np.bincount(rows, minlength=len(texts)).astype(np.float64)
    sums = np.bincount(rows, weights=model.weights[columns], minlength=len(texts))
    logits = model.bias + sums / np.sqrt(np.maximum(totals, 1.0))
    return 1.0 / (1.0 + np.exp(-logits))


def with_extraction_intent(
    requests: DataFrame, model: TextIntentModel, output_column: str = "intent_score"
) -> DataFrame:
    """Add ``output_column``: the extraction intent (0..1) of each request, in Arrow batches.

    A request is as extraction-shaped as the more extraction-shaped of its prompt
    and its system prompt (an Orca-style "think step-by-step" system prompt makes
    any question a harvest).
    """
    from pyspark.sql import functions as F
    from pyspark.sql import types as T
    from pyspark.sql.functions import arrow_udf

    def score(system_prompts: pa.Array, prompts: pa.Array) -> pa.Array:
        prompt_scores = model.scores(prompts.to_pylist())
        systems = system_prompts.to_pylist()
        # An account sends one system prompt with every request: score each text once.
        distinct = list(dict.fromkeys(text for text in systems if text))
        if distinct:
            by_text = dict(zip(distinct, model.scores(distinct).tolist(), strict=True))
            system_scores = np.fromiter(
                (by_text.get(text, 0.0) if text else 0.0 for text in systems),
                dtype=np.float64,
                count=len(systems),
            )
            prompt_scores = np.maximum(prompt_scores, system_scores)
        return pa.array(prompt_scores, type=pa.float32())

    # PySpark's stubs list only overloads with an explicit functionType; the default is the scalar one.
    intent = arrow_udf(score, T.FloatType())  # type: ignore[call-overload]
    return requests.withColumn(output_column, intent(F.col("system_prompt"), F.col("prompt")))


def to_bytes(model: TextIntentModel) -> bytes:
    """The model as a compressed ``.npz`` (weights, bias, vectoriser parameters, version)."""
    import io
    import json

    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        weights=model.weights,
        bias=np.asarray([model.bias]),
        params=np.asarray(json.dumps(model.params.as_dict())),
        version=np.asarray(model.version),
    )
    return buffer.getvalue()


def from_bytes(data: bytes) -> TextIntentModel:
    """``to_bytes``' inverse."""
    import io
    import json

    with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
        described = json.loads(str(arrays["params"]))
        params = IntentVectorizerParams(
            n_features=int(described["n_features"]),
            ngram_sizes=tuple(int(n) for n in described["ngram_sizes"]),
            head_bytes=int(described["head_bytes"]),
            tail_bytes=int(described["tail_bytes"]),
        )
        return TextIntentModel(
            params=params,
            weights=arrays["weights"].astype(np.float32),
            bias=float(arrays["bias"][0]),
            version=str(arrays["version"]),
        )
