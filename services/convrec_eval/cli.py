"""`convrec eval redial|movielens|retrieval|linking|understanding|words`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from convrec_data.common import DataError


def add_parser(sub: argparse._SubParsersAction) -> None:
    evaluation = sub.add_parser("eval", help="offline evaluations on ReDial and MovieLens")
    kinds = evaluation.add_subparsers(dest="benchmark", required=True)
    redial = kinds.add_parser("redial", help="conversational: replay ReDial test turns through the gateway")
    redial.add_argument("--dialogues", type=Path, required=True, help="ReDial dialogues JSONL")
    redial.add_argument("--movies", type=Path, help="ReDial movies.csv (default: beside the dialogues)")
    redial.add_argument("--metadata", type=Path, help="movie_metadata.json (default: beside the dialogues)")
    redial.add_argument("--split-seed", type=int, default=42)
    redial.add_argument("--test-fraction", type=float, default=0.2)
    redial.add_argument("--max-test-dialogues", type=int, help="evaluate only the first N test dialogues")
    redial.add_argument("--workers", type=int, default=2, help="concurrent Converse calls")
    redial.add_argument(
        "--dev", action="store_true", help="for tuning: split the training part again and leave the test part unseen"
    )
    redial.add_argument("--weights", type=Path, help="blend weights JSON (default: the tuned ReDial weights)")
    redial.add_argument("--no-dialogue-model", action="store_true",
                        help="no dialogue model trained or served")
    redial.add_argument("--rerank", type=int, nargs="+", default=(), metavar="N",
                        help="replay the learned ranker re-ordering the blend's best N items, once per N "
                        "(default: as many as it was trained on)")
    redial.add_argument("--no-learned-ranker", action="store_true",
                        help="no learned ranker trained or served (the hand-set blend ranks)")
    retrieval = kinds.add_parser(
        "retrieval", help="dense retrieval quality of MiniLM vs multilingual-e5-small on labeled queries"
    )
    retrieval.add_argument("--catalog", type=Path, help="catalog JSONL (default: the demo catalog)")
    retrieval.add_argument("--queries", type=Path, help="labeled queries JSONL (default: the project's set)")
    linking = kinds.add_parser(
        "linking", help="title and people linking: exact-only vs. fuzzy P/R/F1 on a labelled set, link times"
    )
    linking.add_argument("--catalog", type=Path, help="catalog JSONL (default: the demo catalog)")
    linking.add_argument("--set", type=Path, help="labelled mentions JSONL (default: the project's set)")
    linking.add_argument("--split", choices=("dev", "test", "all"), default="test")
    linking.add_argument("--redial-movies", type=Path, help="ReDial movies.csv: also time linking on that catalog")
    linking.add_argument("--tune", action="store_true", help="search the thresholds on the dev split instead")
    linking.add_argument("--errors", action="store_true", help="list the rows the fuzzy linker gets wrong")
    movielens = kinds.add_parser("movielens", help="next item: leave-last-out per user, full ranking")
    movielens.add_argument("--path", type=Path, required=True, help="MovieLens folder (movies.csv, ratings.csv)")
    movielens.add_argument("--max-users", type=int, help="evaluate only the first N users")
    movielens.add_argument(
        "--dev", action="store_true", help="for tuning: hold out each user's second-to-last item instead"
    )
    movielens.add_argument("--weights", type=Path, help="blend weights JSON (default: the tuned MovieLens weights)")
    movielens.add_argument("--tune", action="store_true",
                           help="choose ALS's settings and the model's blend weights on the dev split, and save them")
    movielens.add_argument("--no-time-split", action="store_true", help="leave-last-out only")
    movielens.add_argument("--no-ablations", action="store_true", help="skip the interest model's ablations")
    movielens.add_argument("--device", default=None, help="torch device for the interest models (default: "
                           "CONVREC_TORCH_DEVICE or cpu)")
    understanding = kinds.add_parser(
        "understanding", help="rules + intent head vs the joint model on the held-out utterances; other-domain links")
    understanding.add_argument("--catalog", default="demo", help="built catalog the corpus is filled from")
    understanding.add_argument("--other-catalog", help="a built catalog of another domain, to link requests on")
    understanding.add_argument("--requests", type=Path, help="JSONL of text, lang, category for --other-catalog")
    understanding.add_argument("--tune-links", action="store_true",
                               help="search the link thresholds on the catalog's training rows instead")
    understanding.add_argument("--replay", action="store_true",
                               help="send the labelled description queries through the gateway instead, rules vs model")
    words = kinds.add_parser("words", help="a built catalog's words for Chinese keywords: precision and coverage")
    words.add_argument("--catalog", default="demo", help="built catalog whose words are measured")
    words.add_argument("--tune", action="store_true", help="choose the threshold on the dev pairs first")
    for parser in (redial, movielens):
        parser.add_argument("--artifacts-dir", type=Path, help="where to build (default: CONVREC_ARTIFACTS_DIR)")
        parser.add_argument("--catalog-name", help="name of the catalog built for the evaluation")


def run(args: argparse.Namespace) -> None:
    try:
        if args.benchmark == "retrieval":
            from convrec_kit.models.e5_convert import E5_DIR
            from convrec_kit.settings import REPO_ROOT, CommonSettings

            from . import retrieval_quality

            settings = CommonSettings()
            report = retrieval_quality.evaluate(
                args.catalog or REPO_ROOT / "catalog" / "demo.jsonl",
                settings.artifacts_dir / E5_DIR,
                settings.torch_threads,
                args.queries or retrieval_quality.QUERIES,
            )
            print(retrieval_quality.format_report(report))
        elif args.benchmark == "linking":
            _linking(args)
        elif args.benchmark == "understanding":
            _understanding(args)
        elif args.benchmark == "words":
            _words(args)
        elif args.benchmark == "redial":
            from . import redial

            report = redial.evaluate(
                args.dialogues,
                seed=args.split_seed,
                test_fraction=args.test_fraction,
                movies_path=args.movies,
                metadata_path=args.metadata,
                artifacts_dir=args.artifacts_dir,
                catalog_name=args.catalog_name or redial.CATALOG_NAME,
                max_test_dialogues=args.max_test_dialogues,
                workers=args.workers,
                dev=args.dev,
                weights=args.weights or redial.WEIGHTS,
                dialogue_model=not args.no_dialogue_model,
                learned_ranker=not args.no_learned_ranker,
                rerank=args.rerank,
            )
            print(redial.format_report(report))
        else:
            _movielens(args)
    except DataError as exc:
        sys.exit(f"error: {exc}")


def _movielens(args: argparse.Namespace) -> None:
    from convrec_kit.settings import CommonSettings, load_settings

    from . import movielens

    settings = load_settings(CommonSettings)
    device = args.device or settings.torch_device
    catalog_name = args.catalog_name or movielens.CATALOG_NAME
    if args.tune:
        from . import movielens_tune

        result = movielens_tune.tune(args.path, args.artifacts_dir or settings.artifacts_dir, catalog_name, device)
        print(movielens_tune.format_tuning(result))
        return
    report = movielens.evaluate(
        args.path,
        artifacts_dir=args.artifacts_dir,
        catalog_name=catalog_name,
        max_users=args.max_users,
        dev=args.dev,
        weights=args.weights or movielens.WEIGHTS,
        with_time_split=not args.no_time_split,
        ablations=not args.no_ablations,
        device=device,
    )
    print(movielens.format_report(report))


def _understanding(args: argparse.Namespace) -> None:
    from convrec_kit.settings import CommonSettings, load_settings

    from . import understanding

    artifacts_dir = load_settings(CommonSettings).artifacts_dir
    if args.tune_links:
        print(understanding.tune_links(artifacts_dir, args.catalog))
        return
    if args.replay:
        from . import understanding_replay

        print(understanding_replay.format_replay(understanding_replay.replay()))
        return
    print(understanding.compare(artifacts_dir, args.catalog))
    if args.other_catalog:
        if not args.requests:
            sys.exit("error: --other-catalog needs --requests")
        shares = understanding.other_domain(artifacts_dir, args.other_catalog, args.requests)
        print(f"\ncategory requests linked to the right category on {args.other_catalog!r}:")
        for lang, figures in shares.items():
            print(f"  {lang} ({figures['requests']} requests): rules {figures['rules']:.3f}, "
                  f"joint model {figures['joint model']:.3f}")


def _words(args: argparse.Namespace) -> None:
    from convrec_intent.main import cached
    from convrec_kit.models.e5 import E5Encoder
    from convrec_kit.models.e5_convert import E5_DIR
    from convrec_kit.settings import CommonSettings, load_settings

    from . import keyword_words

    settings = load_settings(CommonSettings)
    encoder = E5Encoder(settings.artifacts_dir / E5_DIR, settings.torch_threads)
    report = keyword_words.evaluate(settings.artifacts_dir / args.catalog,
                                    cached(lambda t: encoder.encode(t, "query")), args.tune)
    print(keyword_words.format_report(report))


def _linking(args: argparse.Namespace) -> None:
    from convrec_kit.catalog import Catalog
    from convrec_kit.settings import REPO_ROOT

    from . import linking

    catalog = Catalog.load(args.catalog or REPO_ROOT / "catalog" / "demo.jsonl")
    rows = linking.load_rows(args.set or linking.SET, catalog)
    if args.tune:
        print(linking.format_tuning(linking.tune(catalog, rows)))
        return
    report = linking.evaluate(catalog, rows, args.split, args.redial_movies)
    print(linking.format_report(report, show_errors=args.errors))
