"""`convrec train ranker`: trains a built catalog's learned ranker on ReDial-format dialogues,
each half's turns replayed through the services against what the other half taught."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_parser(kinds: argparse._SubParsersAction) -> None:
    ranker = kinds.add_parser("ranker", help="the learned ranker (LambdaRank) over the services' score components")
    ranker.add_argument("--catalog", help="built catalog of the dialogues' items (default: CONVREC_CATALOG)")
    ranker.add_argument("--dialogues", type=Path, required=True,
                        help="ReDial dialogues JSONL (movies.csv beside it, or --movies)")
    ranker.add_argument("--movies", type=Path, help="ReDial movie list (default: movies.csv beside the dialogues)")
    ranker.add_argument("--seed", type=int)
    ranker.add_argument("--workers", type=int, default=2, help="concurrent turns in the replays")


def run(args: argparse.Namespace) -> None:
    from convrec_data import redial as rd
    from convrec_data.common import DataError
    from convrec_eval.redial_ranker import train_ranker
    from convrec_kit.models.interest.pipeline import with_overrides
    from convrec_kit.models.ranker.train import TrainConfig
    from convrec_kit.settings import CommonSettings, load_settings

    settings = load_settings(CommonSettings)
    catalog = args.catalog or settings.catalog
    try:
        movies = rd.load_movies(args.movies or args.dialogues.parent / rd.MOVIES_FILE)
        dialogues = rd.load_dialogues(args.dialogues, movies)
        directory, manifest = train_ranker(settings.artifacts_dir, catalog, dialogues, args.dialogues,
                                           with_overrides(TrainConfig(), seed=args.seed), workers=args.workers)
    except (FileNotFoundError, ValueError, DataError) as exc:
        sys.exit(f"error: {exc}")
    report = manifest["report"]
    for tried in report["tried"]:
        print("  " + ", ".join(f"{k} {v}" for k, v in tried.items()))
    print(f"learned ranker {manifest['version']} for {catalog}: {report['lists']:,} lists, blend scale "
          f"{report['blend_scale']:g}, {report['rounds']} rounds, {manifest['train_seconds']:.0f} s; in {directory}")
