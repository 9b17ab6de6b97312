"""convrec: serve, build, chat, demo, bench."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="convrec", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run one service, or all four as separate processes")
    serve.add_argument(
        "service", choices=["all", "gateway", "intent", "retrieval", "ranking"], nargs="?", default="all"
    )
    build = sub.add_parser("build", help="train the intent model and index a catalog")
    build.add_argument("--catalog", default=None, help="catalog name (default: CONVREC_CATALOG or 'demo')")
    build.add_argument("--source", type=Path, default=None, help="catalog JSONL (default: the demo catalog)")
    build.add_argument("--force", action="store_true", help="rebuild even when up to date")
    for name, text in (
        ("chat", "talk to the gateway in the terminal"),
        ("demo", "run a scripted conversation"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("--address", default="127.0.0.1:50051")
        p.add_argument("--user", default="demo-user" if name == "demo" else "")
        p.add_argument("--page-size", type=int, default=5)
    bench = sub.add_parser("bench", help="latency and throughput of scripted conversations")
    bench.add_argument("--address", default="127.0.0.1:50051")
    bench.add_argument("--clients", default="1,8", help="comma-separated concurrency levels")
    bench.add_argument("--conversations", type=int, default=12, help="conversations per client")
    args = parser.parse_args(argv)

    if args.command == "serve":
        if args.service == "all":
            from .supervise import supervise

            sys.exit(supervise())
        module = {
            "gateway": "convrec_gateway.main",
            "intent": "convrec_intent.main",
            "retrieval": "convrec_retrieval.main",
            "ranking": "convrec_ranking.main",
        }[args.service]
        __import__(module, fromlist=["main"]).main()
    elif args.command == "build":
        from convrec_kit.settings import CommonSettings, load_settings

        from .build import build as run_build

        settings = load_settings(CommonSettings)
        run_build(settings.artifacts_dir, args.catalog or settings.catalog, args.source, args.force)
    elif args.command == "chat":
        from .talk import chat

        chat(args.address, args.user, args.page_size)
    elif args.command == "demo":
        from .talk import demo

        demo(args.address, args.user, args.page_size)
    elif args.command == "bench":
        from .bench import run_bench

        run_bench(args.address, [int(c) for c in args.clients.split(",")], args.conversations)


if __name__ == "__main__":
    main()
