"""``hydrasweep train-text``: train and register the extraction-intent text model."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from flows.commands.options import FormatOption, HomeOption, OutputFormat, TrackingUriOption


def register(app: typer.Typer) -> None:
    @app.command("train-text")
    def train_text_command(
        corpus_dir: Annotated[
            str | None,
            typer.Option(
                "--corpus-dir", help="A full prompt-corpora folder (default: the packaged subset)."
            ),
        ] = None,
        cross_validate: Annotated[
            bool,
            typer.Option(
                "--cross-validate",
                help="Choose the regularisation by group-held-out cross-validation (slow).",
            ),
        ] = False,
        home: HomeOption = None,
        tracking_uri: TrackingUriOption = None,
        output: FormatOption = OutputFormat.text,
    ) -> None:
        """Train the text model on the corpora's text_model split, measure it on held-out
        sources, register it in MLflow (hydrasweep-text-intent), champion if it beats the regexes."""
        from flows.runtime import RunConfig, Runtime
        from models.text_intent import C_GRID, DEFAULT_C, TextTrainParams, train_text_model

        runtime = Runtime.of(RunConfig(home=home, mlflow_tracking_uri=tracking_uri))
        result = train_text_model(
            TextTrainParams(
                tracking_uri=runtime.tracking.uri,
                artifact_root=runtime.tracking.artifact_root,
                corpus_dir=corpus_dir,
                regularisation_grid=C_GRID if cross_validate else (DEFAULT_C,),
            )
        )
        if output is OutputFormat.json:
            typer.echo(json.dumps(result.__dict__, indent=2, default=str))
            return
        typer.echo(
            f"text model v{result.model_version} (C={result.regularisation:g}): held-out AUC "
            f"{result.metrics['heldout_roc_auc']:.3f} against the regexes' "
            f"{result.metrics['regex_roc_auc']:.3f}; "
            + ("champion" if result.promoted else "not promoted (did not beat the regexes)")
        )
