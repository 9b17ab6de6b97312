"""`convrec train dialogue`: trains a built catalog's dialogue model on ReDial-format
dialogues (the recommender's turns that name items, with the turns before them)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_parser(kinds: argparse._SubParsersAction) -> None:
    dialogue = kinds.add_parser("dialogue", help="the dialogue encoder over the turns and the items mentioned")
    dialogue.add_argument("--catalog", help="built catalog of the dialogues' items, with its multilingual index "
                          "(default: CONVREC_CATALOG)")
    dialogue.add_argument("--dialogues", type=Path, required=True,
                          help="ReDial dialogues JSONL (movies.csv beside it, or --movies)")
    dialogue.add_argument("--movies", type=Path, help="ReDial movie list (default: movies.csv beside the dialogues)")
    dialogue.add_argument("--device", help="cpu, cuda, cuda:N (default: CONVREC_TORCH_DEVICE or cpu)")
    dialogue.add_argument("--epochs", type=int)
    dialogue.add_argument("--seed", type=int)
    dialogue.add_argument("--dev", type=float, metavar="FRACTION",
                          help="hold out this share of the dialogues and print recall on it after each epoch")
    dialogue.add_argument("--force", action="store_true", help="train even when this version exists")


def run(args: argparse.Namespace) -> None:
    from convrec_data import redial as rd
    from convrec_data.common import DataError
    from convrec_eval.redial import split_dialogues
    from convrec_kit.models.dialogue.pipeline import train_with_e5
    from convrec_kit.models.dialogue.train import TrainConfig
    from convrec_kit.models.e5_convert import E5_DIR
    from convrec_kit.models.interest.pipeline import with_overrides
    from convrec_kit.settings import CommonSettings, load_settings

    settings = load_settings(CommonSettings)
    catalog_dir = settings.artifacts_dir / (args.catalog or settings.catalog)
    train = with_overrides(TrainConfig(), epochs=args.epochs, seed=args.seed)
    try:
        movies = rd.load_movies(args.movies or args.dialogues.parent / rd.MOVIES_FILE)
        dialogues = rd.load_dialogues(args.dialogues, movies)
        dev = None
        if args.dev:
            split = split_dialogues(dialogues, train.seed, args.dev)
            dialogues, dev = split.train, rd.text_cases(split.test)
        directory, manifest = train_with_e5(
            catalog_dir, settings.artifacts_dir / E5_DIR, rd.text_cases(dialogues), str(args.dialogues),
            train=train, dev=dev, device=args.device or settings.torch_device, force=args.force,
        )
    except (FileNotFoundError, ValueError, DataError) as exc:
        sys.exit(f"error: {exc}")
    for point in manifest["curve"]:
        print("  " + ", ".join(f"{k} {v}" for k, v in point.items()))
    print(f"dialogue model {manifest['version']} for {catalog_dir.name}: {manifest['dialogues']:,} dialogues, "
          f"{manifest['examples']:,} examples, {manifest['train_seconds']:.0f} s; in {directory}")
