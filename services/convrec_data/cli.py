"""`convrec data import redial|movielens|jsonl`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .common import DataError


def add_parser(sub: argparse._SubParsersAction) -> None:
    data = sub.add_parser("data", help="import ReDial, MovieLens or JSONL data into catalog and interactions")
    kinds = data.add_subparsers(dest="data_command", required=True)
    imports = kinds.add_parser("import", help="import a data set").add_subparsers(dest="source", required=True)
    redial = imports.add_parser("redial", help="ReDial movies, metadata and dialogues")
    redial.add_argument("--path", type=Path, required=True, help="folder with movies.csv and the dialogues")
    movielens = imports.add_parser("movielens", help="MovieLens movies, tags and ratings")
    movielens.add_argument("--path", type=Path, required=True, help="folder with movies.csv and ratings.csv")
    movielens.add_argument("--redial-catalog", type=Path, help="a ReDial catalog.jsonl to link movies to")
    jsonl = imports.add_parser("jsonl", help="a catalog JSONL and optional interactions JSONL")
    jsonl.add_argument("--catalog", type=Path, required=True)
    jsonl.add_argument("--interactions", type=Path)
    for parser in (redial, movielens, jsonl):
        parser.add_argument("--out", type=Path, required=True, help="output folder")
        parser.add_argument("--force", action="store_true", help="import again even when up to date")


def run(args: argparse.Namespace) -> None:
    try:
        if args.source == "redial":
            from .redial import import_redial

            report = import_redial(args.path, args.out, args.force)
        elif args.source == "movielens":
            from .movielens import import_movielens

            report = import_movielens(args.path, args.out, args.redial_catalog, args.force)
        else:
            from .jsonl import import_jsonl

            report = import_jsonl(args.catalog, args.interactions, args.out, args.force)
    except DataError as exc:
        sys.exit(f"error: {exc}")
    print(report.summary())
    for key in ("redial_match", "evaluation_cases"):
        if key in report.notes:
            print(f"  {key.replace('_', ' ')}: {report.notes[key]}")
    print(f"written to {args.out}")
