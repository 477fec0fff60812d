"""The extraction-intent text model: training, held-out measurement, MLflow registry.

``train_text_model`` fits ``features.text_intent``'s logistic regression over
hashed byte n-grams on the ``text_model`` split of the packaged corpora
(``models.text_intent_data``), measures it on the ``evaluation`` split (other
sources: never seen in training, and the only text the simulator emits), and
registers it as its own MLflow model (``hydrasweep-text-intent``) with a pyfunc
that returns the probability per text. It takes the ``champion`` alias when it
passes absolute gates on the held-out split (``TextModelGates``); the features
job scores every prompt with the champion (``load_champion_text_model`` writes its
weights to a local file the job reads: the job itself never talks to MLflow).

Regularisation ``C`` is chosen by source-grouped cross-validation inside the
training split (each fold holds out whole corpus sources, as the evaluation
does), never on the evaluation split.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mlflow
import mlflow.pyfunc
import numpy as np
import pandas as pd
from mlflow.pyfunc.model import PythonModel
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score

from features.text_intent import (
    IntentVectorizerParams,
    TextIntentModel,
    feature_matrix,
    from_bytes,
    intent_scores,
    to_bytes,
)
from models import tracking
from models.errors import ModelError
from models.text_intent_data import Example, texts_and_labels, training_examples

log = logging.getLogger(__name__)

TEXT_MODEL_NAME = "hydrasweep-text-intent"
WEIGHTS_FILE = "text_intent.npz"
C_GRID = (0.25, 1.0, 4.0)
# The regularisation that group-held-out cross-validation over C_GRID chose on the
# packaged text_model split (weighted log loss 0.898, 1.017, 1.131 for C = 0.25, 1, 4;
# seed 7; `hydrasweep train-text --cross-validate` repeats it). Training uses it
# directly, so a first run fits one model, not thirteen.
DEFAULT_C = 0.25
FOLDS = 4


@dataclass(frozen=True)
class TextModelGates:
    """What a text model must reach on the held-out split to become the champion.

    It replaces the curated regexes as the content witness, so it must do better
    than them on text neither was written or trained on: its held-out ROC AUC must
    beat the regexes' (a yes/no score, ``(TPR + 1 - FPR) / 2``) by ``min_auc_gain``.
    """

    min_auc_gain: float = 0.0


def regex_baseline(examples: list[Example]) -> dict[str, float]:
    """The curated chain-of-thought and grader regexes on the same held-out examples."""
    from features.reference import COT_PATTERN, GRADER_PATTERN
    from features.signal_scan import _python_pattern

    patterns = [_python_pattern(COT_PATTERN), _python_pattern(GRADER_PATTERN)]
    labels = np.asarray([e.label for e in examples])
    found = np.asarray(
        [any(p.search(e.text.lower()) for p in patterns) for e in examples], dtype=bool
    )
    recall = float(found[labels == 1].mean()) if (labels == 1).any() else float("nan")
    fpr = float(found[labels == 0].mean()) if (labels == 0).any() else float("nan")
    return {
        "regex_extraction_recall": recall,
        "regex_conversation_fpr": fpr,
        "regex_roc_auc": (recall + 1.0 - fpr) / 2.0,
    }


@dataclass(frozen=True)
class TextTrainParams:
    tracking_uri: str
    artifact_root: str | None  # the experiment's absolute artifact location (required)
    model_name: str = TEXT_MODEL_NAME
    experiment: str = "hydrasweep-text"
    seed: int = 7
    corpus_dir: str | None = None  # a full corpora folder; None: the packaged subset
    vectorizer: IntentVectorizerParams = field(default_factory=IntentVectorizerParams)
    gates: TextModelGates = field(default_factory=TextModelGates)
    # Candidate C values, chosen among by group-held-out cross-validation (one value: no CV).
    regularisation_grid: tuple[float, ...] = (DEFAULT_C,)

    def __post_init__(self) -> None:
        if not self.artifact_root:
            raise ValueError("text training needs an absolute artifact location (artifact_root)")


@dataclass(frozen=True)
class TextTrainResult:
    model_version: str
    run_id: str
    promoted: bool
    regularisation: float
    metrics: dict[str, float]
    heldout_by_origin: dict[str, float]  # share scored >= 0.5, per origin of held-out examples


def example_weights(examples: list[Example]) -> np.ndarray:
    """Balanced classes: each class weighs as much in total as the other.

    There are thirty times more extraction-shaped examples than conversations in
    the permissive corpora; ``cap_per_group`` (in ``training_set``) keeps any one
    source from teaching the model its own style.
    """
    labels = np.asarray([e.label for e in examples])
    positives = max(int(labels.sum()), 1)
    negatives = max(int(len(labels) - labels.sum()), 1)
    return np.where(labels == 1, len(labels) / (2 * positives), len(labels) / (2 * negatives))


def training_set(examples: list[Example], cap_per_group: int, seed: int) -> list[Example]:
    """At most ``cap_per_group`` examples of each group (a deterministic sample)."""
    rng = np.random.default_rng(seed)
    by_group: dict[str, list[Example]] = {}
    for example in examples:
        by_group.setdefault(example.group, []).append(example)
    kept: list[Example] = []
    for group in sorted(by_group):
        members = by_group[group]
        if len(members) > cap_per_group:
            chosen = rng.choice(len(members), size=cap_per_group, replace=False)
            members = [members[i] for i in sorted(chosen)]
        kept += members
    return kept


def fit(
    examples: list[Example], params: IntentVectorizerParams, regularisation: float, seed: int
) -> TextIntentModel:
    texts, labels = texts_and_labels(examples)
    y = np.asarray(labels)
    # Far fewer examples than features: the dual problem is the cheaper one.
    model = LogisticRegression(
        C=regularisation, solver="liblinear", dual=True, max_iter=2000, random_state=seed
    )
    model.fit(feature_matrix(texts, params), y, sample_weight=example_weights(examples))
    return TextIntentModel(
        params=params, weights=model.coef_[0].astype(np.float32), bias=float(model.intercept_[0])
    )


def _choose_regularisation(
    examples: list[Example],
    params: IntentVectorizerParams,
    seed: int,
    grid: tuple[float, ...] = C_GRID,
) -> float:
    """The C of ``C_GRID`` with the least weighted log loss on held-out groups.

    Each fold holds out whole groups (a corpus source, a template family), as the
    evaluation split holds out whole sources; the loss is weighted like training,
    so every group and both classes count, and it judges the probabilities the
    features use, not only their order.
    """
    groups = sorted({e.group for e in examples})
    rng = np.random.default_rng(seed)
    fold_of = dict(zip(groups, (rng.permutation(len(groups)) % FOLDS).tolist(), strict=True))
    if len(grid) == 1:
        return grid[0]
    best, best_loss = grid[0], float("inf")
    for regularisation in grid:
        losses = []
        for fold in range(FOLDS):
            train = [e for e in examples if fold_of[e.group] != fold]
            held = [e for e in examples if fold_of[e.group] == fold]
            if len({e.label for e in held}) < 2 or len({e.label for e in train}) < 2:
                continue
            model = fit(train, params, regularisation, seed)
            losses.append(
                log_loss(
                    [e.label for e in held],
                    intent_scores(model, [e.text for e in held]),
                    sample_weight=example_weights(held),
                    labels=[0, 1],
                )
            )
        loss = float(np.mean(losses)) if losses else float("inf")
        log.info("text model C=%g: group-held-out weighted log loss %.4f", regularisation, loss)
        if loss < best_loss:
            best, best_loss = regularisation, loss
    return best


def heldout_metrics(
    model: TextIntentModel, examples: list[Example]
) -> tuple[dict[str, float], dict[str, float]]:
    """(metrics, share >= 0.5 per origin) of ``model`` on held-out examples."""
    texts, labels = texts_and_labels(examples)
    y = np.asarray(labels)
    scores = intent_scores(model, texts)
    flagged = scores >= 0.5
    metrics = {
        "heldout_roc_auc": float(roc_auc_score(y, scores))
        if len(set(labels)) == 2
        else float("nan"),
        "heldout_extraction_recall": float(flagged[y == 1].mean())
        if (y == 1).any()
        else float("nan"),
        "heldout_conversation_fpr": float(flagged[y == 0].mean())
        if (y == 0).any()
        else float("nan"),
        "heldout_examples": float(len(y)),
    }
    frame = pd.DataFrame({"origin": [e.origin for e in examples], "flagged": flagged})
    by_origin = frame.groupby("origin")["flagged"].mean().round(4).to_dict()
    return metrics, {str(k): float(v) for k, v in by_origin.items()}


class TextIntentPyfunc(PythonModel):
    """``predict`` on a frame with a ``text`` column (or a list of strings): probabilities."""

    def load_context(self, context: Any) -> None:
        self.model = read_weights(Path(context.artifacts["weights"]))

    def predict(self, context: Any, model_input: Any, params: Any = None) -> np.ndarray:
        if isinstance(model_input, pd.DataFrame):
            texts = model_input["text"].tolist()
        else:
            texts = list(model_input)
        return intent_scores(self.model, texts)


def write_weights(model: TextIntentModel, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(to_bytes(model))
    return path


def read_weights(path: Path) -> TextIntentModel:
    return from_bytes(Path(path).read_bytes())


def train_text_model(params: TextTrainParams) -> TextTrainResult:
    """Fit, measure on the held-out split, register; alias ``champion`` when the gates pass."""
    corpus = Path(params.corpus_dir) if params.corpus_dir else None
    examples = training_examples(seed=params.seed, corpus_dir=corpus, split="text_model")
    heldout = training_examples(seed=params.seed, corpus_dir=corpus, split="evaluation")
    regularisation = _choose_regularisation(
        examples, params.vectorizer, params.seed, params.regularisation_grid
    )
    model = fit(examples, params.vectorizer, regularisation, params.seed)
    metrics, by_origin = heldout_metrics(model, heldout)
    metrics.update(regex_baseline(heldout))
    gates = params.gates
    promoted = metrics["heldout_roc_auc"] >= metrics["regex_roc_auc"] + gates.min_auc_gain
    with tracking.tracking(params.tracking_uri) as client:
        experiment_id = tracking.ensure_experiment(
            client, params.experiment, params.artifact_root or ""
        )
        with (
            mlflow.start_run(experiment_id=experiment_id, run_name="text intent") as run,
            tempfile.TemporaryDirectory() as scratch,
        ):
            mlflow.log_params(
                {
                    **{f"vectorizer_{k}": v for k, v in params.vectorizer.as_dict().items()},
                    "regularisation_C": regularisation,
                    "seed": params.seed,
                    "corpus": str(corpus) if corpus else "packaged subset",
                    "training_examples": len(examples),
                    "training_positive": sum(e.label for e in examples),
                    "gate_min_auc_gain_over_regex": gates.min_auc_gain,
                }
            )
            mlflow.log_metrics({k: v for k, v in metrics.items() if np.isfinite(v)})
            mlflow.log_dict(by_origin, "heldout_by_origin.json")
            weights = write_weights(model, Path(scratch) / WEIGHTS_FILE)
            info = mlflow.pyfunc.log_model(
                name="model",
                python_model=TextIntentPyfunc(),
                artifacts={"weights": str(weights)},
                registered_model_name=params.model_name,
                input_example=pd.DataFrame({"text": ["Let's think step by step."]}),
                pip_requirements=[f"numpy=={np.__version__}", f"pandas=={pd.__version__}"],
            )
            run_id = run.info.run_id
        version = str(info.registered_model_version)
        client.set_model_version_tag(
            params.model_name, version, "hydrasweep.gates", "passed" if promoted else "failed"
        )
        if promoted:
            client.set_registered_model_alias(params.model_name, tracking.CHAMPION, version)
        else:
            log.warning("text model v%s did not pass the gates: %s", version, metrics)
    return TextTrainResult(
        model_version=version,
        run_id=run_id,
        promoted=promoted,
        regularisation=regularisation,
        metrics=metrics,
        heldout_by_origin=by_origin,
    )


def champion_text_model_path(
    tracking_uri: str, cache_dir: Path, model_name: str = TEXT_MODEL_NAME
) -> tuple[Path, str] | None:
    """The champion's weights as a local file (cached per version) and its version, or None."""
    with tracking.tracking(tracking_uri) as client:
        version = tracking.version_by_alias(client, model_name, tracking.CHAMPION)
        if version is None:
            return None
        target = cache_dir / f"v{version.version}" / WEIGHTS_FILE
        if not target.exists():
            downloaded = Path(
                mlflow.artifacts.download_artifacts(
                    artifact_uri=f"models:/{model_name}/{version.version}",
                    dst_path=str(cache_dir / f"v{version.version}" / "download"),
                )
            )
            found = next(downloaded.rglob(WEIGHTS_FILE), None)
            if found is None:
                raise ModelError(f"{model_name} v{version.version} has no {WEIGHTS_FILE} artifact")
            model = read_weights(found)
            write_weights(
                TextIntentModel(model.params, model.weights, model.bias, str(version.version)),
                target,
            )
        return target, str(version.version)


def ensure_text_model(
    tracking_uri: str, artifact_root: str | None, cache_dir: Path, model_name: str = TEXT_MODEL_NAME
) -> tuple[Path, str]:
    """The champion text model's local weights file and version, training one if there is none.

    A fresh installation has no text model yet: the first features run trains one
    from the packaged corpora (deterministic: the same weights on every machine)
    and registers it, so ``hydrasweep demo`` and a first backfill need no extra step.
    ``hydrasweep train-text`` retrains on purpose.
    """
    found = champion_text_model_path(tracking_uri, cache_dir, model_name)
    if found is not None:
        return found
    log.warning(
        "no %s champion in %s: training one from the packaged corpora", model_name, tracking_uri
    )
    result = train_text_model(
        TextTrainParams(
            tracking_uri=tracking_uri, artifact_root=artifact_root, model_name=model_name
        )
    )
    if not result.promoted:
        raise ModelError(
            f"the text model trained from the packaged corpora did not pass its gate "
            f"({result.metrics}); features cannot run without one"
        )
    found = champion_text_model_path(tracking_uri, cache_dir, model_name)
    assert found is not None  # just promoted
    return found
