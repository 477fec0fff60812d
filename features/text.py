"""Prompt text signals, computed in Spark with native functions only.

Per request: whether the prompt (or its system prompt) elicits chain-of-thought,
whether it uses the model as a grader, and which task categories it touches
(``features.reference`` patterns). Per account-day: the account's *template
skeleton* and its MinHash LSH buckets. A distillation harness wraps thousands
of different questions in the same few templates ("{question} Let's think step
by step."); the words around the slot recur in most of the account's prompts
while the question changes. So the skeleton is the set of normalised word
3-shingles from the prompt's frame (first and last ``frame_words`` words) that
recur in at least ``min_share`` of the account's prompts of the day. Skeletons
are MinHashed (Spark ML ``MinHashLSH`` on hashed shingles) and cut into bands
of ``rows_per_band`` hashes; two accounts whose skeletons are similar share a
band key with high probability (Jaccard ``J`` collides in a band with
probability ``J**rows``), and a band key is the "template bucket" entity the
linking step uses. ``minhash_bands`` is generic and also buckets the sets of
active minutes for synchrony.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pyspark.ml.feature import HashingTF, MinHashLSH
from pyspark.ml.functions import vector_to_array
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from features import reference

# Only the head of a prompt decides its task category; regexes over 4,000
# characters per request cost more than they add.
CATEGORY_SCAN_CHARS = 600
TASK_CATEGORIES: tuple[str, ...] = tuple(reference.TASK_CATEGORY_PATTERNS)


@dataclass(frozen=True)
class MinHashParams:
    """How a set is cut into LSH band keys."""

    bands: int = 4
    rows_per_band: int = 3
    seed: int = 20261126
    num_features: int = 1 << 20


@dataclass(frozen=True)
class TemplateParams:
    frame_words: int = 8
    min_share: float = 0.3  # a shingle in >= 30% of the day's prompts is part of the skeleton
    min_prompts: int = 3  # fewer prompts than this cannot show a recurring template
    minhash: MinHashParams = MinHashParams(bands=4, rows_per_band=3, seed=7)


def lowered(text: Column, max_chars: int | None = None) -> Column:
    text = F.coalesce(text, F.lit(""))
    if max_chars is not None:
        text = F.substring(text, 1, max_chars)
    return F.lower(text)


def normalized_words(text: Column) -> Column:
    """Lower-case words with digit runs folded to ``0`` and punctuation dropped."""
    cleaned = F.regexp_replace(F.lower(F.coalesce(text, F.lit(""))), r"[0-9]+", "0")
    cleaned = F.regexp_replace(cleaned, r"[^\p{L}\p{N}']+", " ")
    return F.filter(F.split(F.trim(cleaned), " "), lambda word: word != F.lit(""))


def with_frame_shingles(
    frame: DataFrame, text_column: str, output_column: str, frame_words: int
) -> DataFrame:
    """Add ``output_column``: the word 3-shingles of the text's frame (first and last
    ``frame_words`` words).

    A text of one or two words is a single shingle; an empty text has none. The
    words and the frame are materialised as columns in projections of their own:
    a column expression used inside a lambda is evaluated again for every
    element, so in one expression the regexes over the whole prompt ran once per
    shingle (about 30 times slower on real prompts).
    """
    words_column, frame_column = "_shingle_words", "_shingle_frame"
    words = F.col(words_column)
    n = F.size(words)
    framed = frame.withColumn(words_column, normalized_words(F.col(text_column))).withColumn(
        frame_column,
        F.when(n <= 2 * frame_words, words).otherwise(
            F.concat(F.slice(words, 1, frame_words), F.slice(words, -frame_words, frame_words))
        ),
    )
    frame_words_col = F.col(frame_column)
    frame_size = F.size(frame_words_col)
    trigrams = F.transform(
        F.sequence(F.lit(1), F.greatest(frame_size - 2, F.lit(1))),
        lambda i: F.array_join(F.slice(frame_words_col, i, 3), " "),
    )
    shingles = F.array_distinct(
        F.when(frame_size >= 3, trigrams)
        .when(frame_size > 0, F.array(F.array_join(frame_words_col, " ")))
        .otherwise(F.array().cast("array<string>"))
    )
    return framed.withColumn(output_column, shingles).drop(words_column, frame_column)


def _first_chars(items) -> tuple[frozenset[str] | None, bool]:
    """The characters a parsed regex sequence can start with, and whether it can match empty.

    ``None`` when any character can start it (``.``, negated classes, anything
    not understood): no guard is possible then.
    """
    from re import _constants as C  # the parser's own opcodes (stdlib, Python >= 3.11)

    first: set[str] = set()
    for op, arg in items:
        if op is C.LITERAL:
            chars, nullable = frozenset(chr(arg)), False
        elif op is C.AT:  # ^, $, \b: zero-width
            chars, nullable = frozenset(), True
        elif op is C.SUBPATTERN:
            chars, nullable = _first_chars(arg[-1])
        elif op is C.BRANCH:
            alternatives = [_first_chars(alternative) for alternative in arg[1]]
            if any(chars is None for chars, _ in alternatives):
                return None, False
            chars = frozenset().union(*(chars for chars, _ in alternatives))
            nullable = any(nullable for _, nullable in alternatives)
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT):
            chars, nullable = _first_chars(arg[2])
            nullable = nullable or arg[0] == 0
        elif op is C.IN:
            chars, nullable = _class_chars(arg), False
        else:
            return None, False
        if chars is None:
            return None, False
        first |= chars
        if not nullable:
            return frozenset(first), False
    return frozenset(first), True


def _class_chars(items) -> frozenset[str] | None:
    from re import _constants as C

    chars: set[str] = set()
    for op, arg in items:
        if op is C.LITERAL:
            chars.add(chr(arg))
        elif op is C.RANGE and arg[1] - arg[0] < 256:
            chars.update(chr(code) for code in range(arg[0], arg[1] + 1))
        elif op is C.CATEGORY and arg is C.CATEGORY_DIGIT:
            chars.update("0123456789")
        else:
            return None
    return frozenset(chars)


def guarded_pattern(pattern: str) -> str:
    """``pattern`` behind a lookahead on the characters a match can start with.

    Java's regex engine tries every alternative of ``a|b|c`` at every position
    of the text; our signal patterns are alternations of a dozen phrases, so
    most of their cost is failing at positions where no phrase can start. The
    lookahead ``(?=[...])`` rejects those positions with one class test. It
    only removes positions where no match can start, so the guarded pattern
    matches exactly the same texts (tests/features/test_text.py checks it);
    a pattern that can start anywhere, match empty or carries inline flags is
    returned unchanged.
    """
    try:
        parsed = re._parser.parse(pattern)
    except re.error:
        return pattern
    if parsed.state.flags & ~re.UNICODE:
        return pattern
    chars, nullable = _first_chars(parsed)
    if not chars or nullable:
        return pattern
    if max(map(ord, chars)) > 0xFFFF:
        return pattern
    # \uXXXX means the same character to Java's engine and to Python's.
    members = "".join(
        char if char.isascii() and char.isalnum() else f"\\u{ord(char):04x}"
        for char in sorted(chars)
    )
    return f"(?=[{members}])(?:{pattern})"


def with_prompt_signals(requests: DataFrame) -> DataFrame:
    """Add ``is_cot``, ``is_grader`` (0/1 ints) and one ``task_<category>`` 0/1 int per category."""
    full_text = F.concat_ws("\n", lowered(F.col("system_prompt"), 2000), lowered(F.col("prompt")))
    head = lowered(F.col("prompt"), CATEGORY_SCAN_CHARS)
    return requests.withColumns(
        {
            "is_cot": full_text.rlike(guarded_pattern(reference.COT_PATTERN)).cast("int"),
            "is_grader": full_text.rlike(guarded_pattern(reference.GRADER_PATTERN)).cast("int"),
            **{
                f"task_{name}": head.rlike(guarded_pattern(pattern)).cast("int")
                for name, pattern in reference.TASK_CATEGORY_PATTERNS.items()
            },
        }
    )


def task_categories_column(prefix: str = "task_") -> Column:
    """The names of the categories whose 0/1 column (``task_<name>``) is positive."""
    return F.array_compact(
        F.array(*[F.when(F.col(f"{prefix}{name}") > 0, F.lit(name)) for name in TASK_CATEGORIES])
    )


def minhash_bands(
    frame: DataFrame, set_column: str, output_column: str, key_prefix: str, params: MinHashParams
) -> DataFrame:
    """Add ``output_column``: the band keys (strings) of the MinHash of ``set_column``.

    Rows whose set is empty get an empty array: MinHashLSH fails a whole job on
    an all-zero vector, so they never reach it. Keys are ``<prefix><band>:<hash>``
    and are stable across days and runs for the same params (the hash functions
    depend only on the seed).
    """
    tokens_column = "_minhash_tokens"
    vector_column = "_minhash_vector"
    hashes_column = "_minhash_hashes"
    non_empty = frame.where(F.size(set_column) > 0)
    hashed = HashingTF(
        inputCol=set_column, outputCol=vector_column, numFeatures=params.num_features, binary=True
    ).transform(non_empty)
    model = MinHashLSH(
        inputCol=vector_column,
        outputCol=hashes_column,
        numHashTables=params.bands * params.rows_per_band,
        seed=params.seed,
    ).fit(hashed)
    # ``hashes`` is an array of one-element vectors, one per hash table.
    with_hashes = model.transform(hashed).withColumn(
        tokens_column, F.transform(hashes_column, lambda v: vector_to_array(v)[0].cast("long"))
    )
    band_keys = F.array(
        *[
            F.concat(
                F.lit(f"{key_prefix}{band}:"),
                F.xxhash64(
                    *[
                        F.col(tokens_column)[band * params.rows_per_band + row]
                        for row in range(params.rows_per_band)
                    ]
                ).cast("string"),
            )
            for band in range(params.bands)
        ]
    )
    banded = with_hashes.withColumn(output_column, band_keys).drop(
        tokens_column, vector_column, hashes_column
    )
    empty = frame.where(~(F.size(set_column) > 0)).withColumn(
        output_column, F.array().cast("array<string>")
    )
    return banded.unionByName(empty)


def account_day_templates(requests: DataFrame, params: TemplateParams) -> DataFrame:
    """Per account and day: ``template_share`` and ``template_buckets``.

    ``template_share`` is the share of the account's prompts that carry its most
    common recurring shingle (0 when it has no skeleton); ``template_buckets``
    are the LSH band keys of the skeleton (empty when none).
    """
    shingled = with_frame_shingles(
        requests.select("account_id", "dt", "prompt"), "prompt", "shingles", params.frame_words
    ).select("account_id", "dt", F.explode("shingles").alias("shingle"))
    prompts = requests.groupBy("account_id", "dt").agg(F.count(F.lit(1)).alias("prompts"))
    recurring = (
        shingled.groupBy("account_id", "dt", "shingle")
        .agg(F.count(F.lit(1)).alias("prompts_with_shingle"))
        .join(prompts, on=["account_id", "dt"], how="inner")
        .where(
            (F.col("prompts") >= params.min_prompts)
            & (F.col("prompts_with_shingle") >= 2)
            & (F.col("prompts_with_shingle") >= F.col("prompts") * params.min_share)
        )
        .groupBy("account_id", "dt")
        .agg(
            F.max(F.col("prompts_with_shingle") / F.col("prompts")).alias("template_share"),
            F.array_sort(F.collect_set("shingle")).alias("skeleton"),
        )
    )
    skeletons = prompts.join(recurring, on=["account_id", "dt"], how="left").select(
        "account_id",
        "dt",
        F.coalesce("template_share", F.lit(0.0)).alias("template_share"),
        F.coalesce("skeleton", F.array().cast("array<string>")).alias("skeleton"),
    )
    return minhash_bands(skeletons, "skeleton", "template_buckets", "tpl", params.minhash).select(
        "account_id", "dt", "template_share", "template_buckets"
    )
