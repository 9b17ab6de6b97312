"""`convrec train interest`: trains a built catalog's interest model from an interactions
JSONL or from the feedback stored by the gateway (its configured store: SQLite or Redis).
`convrec train understanding`: the joint intent + slot model from the project's corpus.
`convrec train dialogue`: the dialogue model from ReDial-format dialogues (train_dialogue.py).
`convrec train ranker`: the learned ranker from ReDial-format dialogues (train_ranker.py)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from .train_dialogue import add_parser as add_dialogue_parser
from .train_dialogue import run as run_dialogue
from .train_ranker import add_parser as add_ranker_parser
from .train_ranker import run as run_ranker


def add_parser(sub: argparse._SubParsersAction) -> None:
    train = sub.add_parser("train", help="train a model of a built catalog")
    kinds = train.add_subparsers(dest="model", required=True)
    interest = kinds.add_parser("interest", help="the interest model over users' timestamped events")
    interest.add_argument("--catalog", help="built catalog name (default: CONVREC_CATALOG)")
    source = interest.add_mutually_exclusive_group(required=True)
    source.add_argument("--interactions", type=Path, help="JSONL of user_id, item_id, event, value, timestamp")
    source.add_argument("--from-store", action="store_true", help="the gateway's store (CONVREC_STORE: the SQLite file "
                        "CONVREC_STATE_PATH or Redis at CONVREC_REDIS_URL)")
    interest.add_argument("--store", type=Path, help="with --from-store: this SQLite file instead")
    interest.add_argument("--export", type=Path, help="also write the events trained on as interactions JSONL")
    interest.add_argument("--device", help="cpu, cuda, cuda:N or auto (default: CONVREC_TORCH_DEVICE or cpu)")
    interest.add_argument("--seed", type=int)
    interest.add_argument("--epochs", type=int, help="most epochs (early stopping on the validation events)")
    interest.add_argument("--dim", type=int)
    interest.add_argument("--layers", type=int)
    interest.add_argument("--max-len", type=int, help="most recent events the model reads")
    interest.add_argument("--time", action=argparse.BooleanOptionalAction,
                          help="time and context features (default: off)")
    interest.add_argument("--text", action=argparse.BooleanOptionalAction,
                          help="fuse the items' text vectors into their representations (default: off)")
    interest.add_argument("--force", action="store_true", help="train even when this version exists")
    understanding = kinds.add_parser("understanding", help="the joint intent + slot model (multilingual)")
    understanding.add_argument("--catalog", help="built catalog whose titles and people fill the templates "
                               "(default: CONVREC_CATALOG)")
    understanding.add_argument("--device", help="cpu, cuda, cuda:N (default: CONVREC_TORCH_DEVICE or cpu)")
    understanding.add_argument("--epochs", type=int)
    understanding.add_argument("--layers", type=int, help="encoder layers kept (of 12)")
    understanding.add_argument("--seed", type=int)
    understanding.add_argument("--corpus", type=Path, help="also write the labelled corpus (with its split) here")
    add_dialogue_parser(kinds)
    add_ranker_parser(kinds)


def run(args: argparse.Namespace) -> None:
    if args.model == "understanding":
        run_understanding(args)
        return
    if args.model == "dialogue":
        run_dialogue(args)
        return
    if args.model == "ranker":
        run_ranker(args)
        return
    from convrec_kit.models.interest import data
    from convrec_kit.models.interest.network import Config
    from convrec_kit.models.interest.pipeline import train_from_records, with_overrides
    from convrec_kit.models.interest.train import TrainConfig
    from convrec_kit.settings import CommonSettings, load_settings

    settings = load_settings(CommonSettings)
    catalog_dir = settings.artifacts_dir / (args.catalog or settings.catalog)
    try:
        if args.interactions:
            records, sha = data.read_jsonl(args.interactions)
            source = str(args.interactions)
        else:
            pairs, where = asyncio.run(_stored_events(args.store))
            records, sha = data.from_store_events(pairs)
            source = f"feedback store {where}"
        if args.export:
            data.write_jsonl(args.export, records)
        config = with_overrides(Config(), dim=args.dim, layers=args.layers, max_len=args.max_len,
                                time=args.time, text=args.text)
        train = with_overrides(TrainConfig(), seed=args.seed, epochs=args.epochs)
        directory, manifest = train_from_records(catalog_dir, records, sha, source, config, train,
                                                 device=args.device or settings.torch_device, force=args.force)
    except (FileNotFoundError, ValueError) as exc:
        sys.exit(f"error: {exc}")
    best = manifest["metrics"]["validation"]
    print(f"interest model {manifest['version']} for {catalog_dir.name}: {manifest['users']:,} users, "
          f"{manifest['events']:,} events; validation HR@10 {best['HR@10']:.4f}, NDCG@10 {best['NDCG@10']:.4f} "
          f"(epoch {best['epoch']}); in {directory}")


async def _stored_events(path: Path | None) -> tuple[list, str]:
    """Every event of the configured store (or of the SQLite file `path`), and where it was."""
    from redis.exceptions import ConnectionError, TimeoutError

    from convrec_gateway.redis_store import RedisStore, redacted
    from convrec_gateway.settings import GatewaySettings
    from convrec_gateway.store import SQLiteStore
    from convrec_kit.errors import ServiceError
    from convrec_kit.settings import load_settings

    settings = load_settings(GatewaySettings)
    if path or settings.store == "sqlite":
        path = path or settings.state_path
        if not path.is_file():
            raise FileNotFoundError(f"no feedback store at {path}")
        store, where = SQLiteStore(path), str(path)
    else:  # reading only: no need for the durability a writer insists on
        where = redacted(settings.redis_url)
        try:
            store = await RedisStore.connect(settings.redis_url, prefix=settings.redis_key_prefix,
                                             timeout=settings.redis_timeout_seconds, allow_unsafe=True)
        except (ConnectionError, TimeoutError, OSError) as exc:
            raise ValueError(f"cannot reach Redis at {where} (CONVREC_REDIS_URL): {exc}") from None
    try:
        return await store.all_events(), where
    except ServiceError as exc:
        raise ValueError(exc.message) from None
    finally:
        await store.close()


def run_understanding(args: argparse.Namespace) -> None:
    from convrec_intent import corpus
    from convrec_intent.understanding import report, train_understanding
    from convrec_kit import artifacts
    from convrec_kit.models.e5_convert import E5_DIR
    from convrec_kit.models.interest.pipeline import with_overrides
    from convrec_kit.models.understanding.network import Config
    from convrec_kit.models.understanding.train import TrainConfig
    from convrec_kit.settings import CommonSettings, load_settings

    settings = load_settings(CommonSettings)
    try:
        catalog = artifacts.load_catalog(settings.artifacts_dir / (args.catalog or settings.catalog))
    except FileNotFoundError as exc:
        sys.exit(f"error: {exc}")
    if args.corpus:
        corpus.write(corpus.build_corpus(catalog), args.corpus)
    config = with_overrides(Config(), layers=args.layers)
    train = with_overrides(TrainConfig(), epochs=args.epochs, seed=args.seed)
    manifest = train_understanding(settings.artifacts_dir / artifacts.UNDERSTANDING_DIR,
                                   settings.artifacts_dir / E5_DIR, catalog, config, train,
                                   device=args.device or settings.torch_device)
    print(report(manifest))
    print(f"understanding model in {settings.artifacts_dir / artifacts.UNDERSTANDING_DIR} "
          f"({manifest['train_rows']:,} training rows, {manifest['train_seconds']:.0f} s)")
