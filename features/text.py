"""Prompt text signals and template skeletons, in Spark (the per-request signals
by Hyperscan in Python workers where it is installed: ``features.signal_scan``).

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

import operator
import re
from dataclasses import dataclass
from functools import cache, reduce

import pyarrow as pa
from pyspark.ml.feature import HashingTF, MinHashLSH
from pyspark.ml.functions import vector_to_array
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T
from pyspark.sql.functions import arrow_udf

from features import reference
from features.signal_scan import SignalScanner, hyperscan_available

# Only the head of a prompt decides its task category; regexes over 4,000
# characters per request cost more than they add.
CATEGORY_SCAN_CHARS = 600
TASK_CATEGORIES: tuple[str, ...] = tuple(reference.TASK_CATEGORY_PATTERNS)
# What an empty set is hashed as (its band keys are dropped): MinHashLSH rejects empty vectors.
_EMPTY_SET_TOKEN = "\x00empty"


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


# A word: a maximal run of letters, digits and apostrophes (of the lower-cased text).
_WORD = r"[\p{L}\p{N}']+"


def _words(text: Column) -> Column:
    """The words of the lower-cased text, digits as they are."""
    return F.regexp_extract_all(F.lower(F.coalesce(text, F.lit(""))), F.lit(_WORD), 0)


def _fold_digits(words: Column) -> Column:
    """Each run of ASCII digits in the words as ``0``.

    Digits are word characters, so folding them never moves a word boundary:
    it can wait until the words that are kept are picked, and then costs one
    regex over a few words instead of one over the whole text. Words hold no
    spaces, so joining and splitting on one is exact.
    """
    folded = F.split(F.regexp_replace(F.array_join(words, " "), "[0-9]+", "0"), " ", -1)
    return F.when(F.size(words) == 0, words).otherwise(folded)


def normalized_words(text: Column) -> Column:
    """Lower-case words with digit runs folded to ``0`` and punctuation dropped."""
    return _fold_digits(_words(text))


def with_frame_shingles(
    frame: DataFrame, text_column: str, output_column: str, frame_words: int
) -> DataFrame:
    """Add ``output_column``: the word 3-shingles of the text's frame (first and last
    ``frame_words`` words).

    A text of one or two words is a single shingle; an empty text has none. The
    words and the frame are materialised as columns in projections of their own:
    a column expression used inside a lambda is evaluated again for every
    element, so in one expression the regexes over the whole prompt ran once per
    shingle (about 30 times slower on real prompts). One regex pass finds the
    words, and digits are folded in the frame's words only (``_fold_digits``):
    the shingles of the 1.1M prompts of the bench day took 9.1 s (warm) this
    way, 10.4 s with a pass to fold digits and one to blank punctuation over
    every whole prompt, then a split. Most of what is left is the word regex
    itself (about 4 s), whose cost is Java's matching loop: ASCII classes in
    place of the Unicode letter and digit classes were no faster.
    """
    words_column, frame_column = "_shingle_words", "_shingle_frame"
    words = F.col(words_column)
    n = F.size(words)
    framed = frame.withColumn(words_column, _words(F.col(text_column))).withColumn(
        frame_column,
        _fold_digits(
            F.when(n <= 2 * frame_words, words).otherwise(
                F.concat(F.slice(words, 1, frame_words), F.slice(words, -frame_words, frame_words))
            )
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


# Shortest phrase (or every phrase of a choice) that a prefilter looks for.
MIN_FACTOR_CHARS = 3


@dataclass(frozen=True)
class PhrasePlan:
    """A signal pattern split so that most texts are decided by substring tests.

    A pattern ``A1|A2|...`` is found in a text exactly when one of its top-level
    alternatives is. ``literals`` are the alternatives that are plain phrases
    (found iff the text contains them: a byte search, no regex engine);
    ``factored`` pairs each other alternative with phrases one of which any of
    its matches contains (``\bstory\b`` needs ``story``), so its regex runs only
    on texts that contain one; ``rest`` (nothing required) always runs. The
    regexes keep their lookahead guard (``guarded_pattern``).
    """

    literals: tuple[str, ...]
    factored: tuple[tuple[tuple[str, ...], str], ...]
    rest: str | None

    def column(self, text: Column) -> Column:
        terms = [text.contains(literal) for literal in self.literals]
        for factors, alternative in self.factored:
            prefilter = reduce(operator.or_, [text.contains(factor) for factor in factors])
            terms.append(prefilter & text.rlike(guarded_pattern(alternative)))
        if self.rest is not None:
            terms.append(text.rlike(guarded_pattern(self.rest)))
        return reduce(operator.or_, terms) if terms else F.lit(False)


def top_level_alternatives(pattern: str) -> list[str]:
    """``pattern`` split at the ``|`` that are outside groups and character classes."""
    parts, depth, start, index, in_class = [], 0, 0, 0, False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            # A ``]`` right after ``[`` or ``[^`` is a member, not the end.
            if pattern[index + 1 : index + 2] == "^":
                index += 1
            if pattern[index + 1 : index + 2] == "]":
                index += 1
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(pattern[start:index])
            start = index + 1
        index += 1
    parts.append(pattern[start:])
    return parts


def _literal_text(items) -> str | None:
    """The phrase a parsed sequence stands for when it is nothing but literal characters."""
    from re import _constants as C

    chars = []
    for op, arg in items:
        if op is C.LITERAL:
            chars.append(chr(arg))
        elif op is C.SUBPATTERN and arg[1] == 0 and arg[2] == 0:  # a group without flags
            inner = _literal_text(arg[-1])
            if inner is None:
                return None
            chars.append(inner)
        else:
            return None
    return "".join(chars)


def _required_phrases(items) -> tuple[str, ...] | None:
    """Phrases one of which every match of a parsed sequence contains (the best found), or None.

    Candidates are runs of literal characters and groups that are a choice of
    plain phrases (``(judge|grader)``); the best has the longest shortest phrase.
    """
    from re import _constants as C

    candidates: list[tuple[str, ...]] = []
    run: list[str] = []
    for op, arg in items:
        if op is C.LITERAL:
            run.append(chr(arg))
            continue
        if run:
            candidates.append(("".join(run),))
            run = []
        if op is C.SUBPATTERN and arg[1] == 0 and arg[2] == 0:
            inner = arg[-1]
            if len(inner) == 1 and inner[0][0] is C.BRANCH:
                choices = [_literal_text(branch) for branch in inner[0][1][1]]
                if all(choices):
                    candidates.append(tuple(sorted(set(choices))))
            elif (text := _literal_text(inner)) is not None:
                candidates.append((text,))
    if run:
        candidates.append(("".join(run),))
    usable = [c for c in candidates if min(map(len, c)) >= MIN_FACTOR_CHARS]
    if not usable:
        return None
    return max(usable, key=lambda c: (min(map(len, c)), -len(c)))


def _has_group_reference(items) -> bool:
    from re import _constants as C

    for op, arg in items:
        if op in (C.GROUPREF, C.GROUPREF_EXISTS):
            return True
        nested = []
        if op is C.SUBPATTERN:
            nested = [arg[-1]]
        elif op is C.BRANCH:
            nested = arg[1]
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            nested = [arg[2]]
        elif op in (C.ASSERT, C.ASSERT_NOT):
            nested = [arg[1]]
        if any(_has_group_reference(sub) for sub in nested):
            return True
    return False


def phrase_plan(pattern: str) -> PhrasePlan:
    """How ``pattern_found`` decides ``pattern`` (see ``PhrasePlan``).

    A pattern the parser rejects (Java-only syntax), with inline flags or with
    back-references stays one regex (``rest``).
    """
    whole = PhrasePlan(literals=(), factored=(), rest=pattern)
    try:
        parsed = re._parser.parse(pattern)
        alternatives = top_level_alternatives(pattern)
        parsed_alternatives = [re._parser.parse(alternative) for alternative in alternatives]
    except re.error:
        return whole
    if parsed.state.flags & ~re.UNICODE or _has_group_reference(parsed):
        return whole
    literals: list[str] = []
    factored: list[tuple[tuple[str, ...], str]] = []
    rest: list[str] = []
    for source, items in zip(alternatives, parsed_alternatives, strict=True):
        literal = _literal_text(items)
        if literal:
            literals.append(literal)
        elif (required := _required_phrases(items)) is not None:
            factored.append((required, source))
        else:
            rest.append(source)
    return PhrasePlan(
        literals=tuple(literals), factored=tuple(factored), rest="|".join(rest) if rest else None
    )


def pattern_found(text: Column, pattern: str) -> Column:
    """``text.rlike(pattern)`` for a non-null ``text``, mostly by substring tests.

    The signal patterns are alternations of phrases; Java's engine tries every
    alternative at every position of every prompt, which made the seventeen
    signals most of the features job's time. ``phrase_plan`` keeps the answer
    and moves the work to byte searches (tests/features/test_text.py checks
    both against the plain regex).
    """
    return phrase_plan(pattern).column(text)


# What the signals read: the system prompt's first characters and the whole prompt.
SYSTEM_PROMPT_SCAN_CHARS = 2000
# (column, pattern): the signals searched in the full text, and the task
# categories, searched in the prompt's head. Both engines read these lists.
FULL_TEXT_SIGNALS: tuple[tuple[str, str], ...] = (
    ("is_cot", reference.COT_PATTERN),
    ("is_grader", reference.GRADER_PATTERN),
)
HEAD_SIGNALS: tuple[tuple[str, str], ...] = tuple(
    (f"task_{name}", pattern) for name, pattern in reference.TASK_CATEGORY_PATTERNS.items()
)
SIGNAL_ENGINES = ("auto", "hyperscan", "spark")


def signal_engine(engine: str = "auto") -> str:
    """``hyperscan`` or ``spark``: ``auto`` is Hyperscan where it imports (x86-64, macOS).

    This decides for this interpreter only; on a cluster the executors' Python
    workers run the scan, and the job asks them (``jobs.featurize.resolve_signal_engine``).
    ``hyperscan`` named explicitly is taken as given.
    """
    if engine not in SIGNAL_ENGINES:
        raise ValueError(f"signal engine must be one of {SIGNAL_ENGINES}, got {engine!r}")
    if engine != "auto":
        return engine
    return "hyperscan" if hyperscan_available() else "spark"


def with_prompt_signals(requests: DataFrame, engine: str = "auto") -> DataFrame:
    """Add ``is_cot``, ``is_grader`` (0/1 ints) and one ``task_<category>`` 0/1 int per category.

    ``engine`` ``spark`` decides each pattern with Java's engine (``pattern_found``);
    ``hyperscan`` finds them all in one pass per request in a Python worker
    (``features.signal_scan``: six times faster on a million requests, same answers).
    """
    if signal_engine(engine) == "hyperscan":
        return _with_scanned_signals(requests)
    full_text = F.concat_ws(
        "\n",
        lowered(F.col("system_prompt"), SYSTEM_PROMPT_SCAN_CHARS),
        lowered(F.col("prompt")),
    )
    head = lowered(F.col("prompt"), CATEGORY_SCAN_CHARS)
    return requests.withColumns(
        {
            **{
                name: pattern_found(full_text, pattern).cast("int")
                for name, pattern in FULL_TEXT_SIGNALS
            },
            **{name: pattern_found(head, pattern).cast("int") for name, pattern in HEAD_SIGNALS},
        }
    )


@cache
def _signal_scanner() -> SignalScanner:
    """One per Python worker process (compiled databases do not pickle)."""
    return SignalScanner.build(
        [pattern for _, pattern in FULL_TEXT_SIGNALS], [pattern for _, pattern in HEAD_SIGNALS]
    )


def _signal_masks(system_prompts: pa.Array, prompts: pa.Array) -> pa.Array:
    return _signal_scanner().masks(
        system_prompts, prompts, SYSTEM_PROMPT_SCAN_CHARS, CATEGORY_SCAN_CHARS
    )


def _with_scanned_signals(requests: DataFrame) -> DataFrame:
    mask_column = "_signal_mask"
    masks = arrow_udf(_signal_masks, T.LongType())
    mask = F.col(mask_column)
    return (
        requests.withColumn(mask_column, masks(F.col("system_prompt"), F.col("prompt")))
        .withColumns(
            {
                name: (F.shiftright(mask, bit).bitwiseAND(1)).cast("int")
                # The scanner's bits follow its patterns: full-text signals, then head ones.
                for bit, (name, _) in enumerate((*FULL_TEXT_SIGNALS, *HEAD_SIGNALS))
            }
        )
        .drop(mask_column)
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

    Rows whose set is empty get an empty array. MinHashLSH fails a whole job on
    an all-zero vector, so an empty set is hashed as a one-token placeholder and
    its keys are dropped; one pass over ``frame`` (splitting it into empty and
    non-empty rows computed everything before it twice). Keys are
    ``<prefix><band>:<hash>`` and are stable across days and runs for the same
    params (the hash functions depend only on the seed).
    """
    tokens_column = "_minhash_tokens"
    vector_column = "_minhash_vector"
    hashes_column = "_minhash_hashes"
    input_column = "_minhash_input"
    present = F.size(set_column) > 0
    hashed = HashingTF(
        inputCol=input_column, outputCol=vector_column, numFeatures=params.num_features, binary=True
    ).transform(
        frame.withColumn(
            input_column,
            F.when(present, F.col(set_column)).otherwise(F.array(F.lit(_EMPTY_SET_TOKEN))),
        )
    )
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
    return with_hashes.withColumn(
        output_column, F.when(present, band_keys).otherwise(F.array().cast("array<string>"))
    ).drop(tokens_column, vector_column, hashes_column, input_column)


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
