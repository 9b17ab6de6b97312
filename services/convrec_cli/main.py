"""convrec: serve, build, train, chat, demo, bench, data import, eval."""

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
    serve.add_argument(
        "--with-triton", action="store_true", help="with `all`: start tritonserver first and use it"
    )
    triton = sub.add_parser("triton", help="run Triton Inference Server with model_repository/")
    triton.add_argument("--grpc-port", type=int, default=8001)
    triton.add_argument("--http-port", type=int, default=8000)
    triton.add_argument("--metrics-port", type=int, default=8002)
    triton.add_argument("--render-only", type=Path, default=None, metavar="DIR",
                        help="only write the rendered repository (CONVREC_TRITON_DEVICE) to DIR")
    build = sub.add_parser("build", help="train the intent model and index a catalog")
    build.add_argument("--catalog", default=None, help="catalog name (default: CONVREC_CATALOG or 'demo')")
    build.add_argument("--source", type=Path, default=None, help="catalog JSONL (default: the demo catalog)")
    build.add_argument("--force", action="store_true", help="rebuild even when up to date")
    build.add_argument("--popularity", type=Path, help="JSONL of item_id, count: the popularity prior")
    build.add_argument("--co-occurrence", type=Path, help="JSONL of item_id, other_id, count: related items")
    build.add_argument("--weights", type=Path, help="JSON of blend weights for this catalog's services")
    build.add_argument("--interactions", type=Path,
                       help="interactions JSONL: also train the catalog's interest model on them")
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
    from convrec_data.cli import add_parser as add_data_parser
    from convrec_eval.cli import add_parser as add_eval_parser

    from .train import add_parser as add_train_parser

    add_train_parser(sub)
    add_data_parser(sub)
    add_eval_parser(sub)
    args = parser.parse_args(argv)

    if args.command == "serve":
        if args.service == "all":
            from .supervise import supervise

            sys.exit(supervise(with_triton=args.with_triton))
        module = {
            "gateway": "convrec_gateway.main",
            "intent": "convrec_intent.main",
            "retrieval": "convrec_retrieval.main",
            "ranking": "convrec_ranking.main",
        }[args.service]
        __import__(module, fromlist=["main"]).main()
    elif args.command == "build":
        from convrec_build.pipeline import build as run_build
        from convrec_kit.settings import CommonSettings, load_settings

        settings = load_settings(CommonSettings)
        run_build(
            settings.artifacts_dir,
            args.catalog or settings.catalog,
            args.source,
            args.force,
            popularity=args.popularity,
            co_occurrence=args.co_occurrence,
            weights=args.weights,
            interactions=args.interactions,
            device=settings.torch_device,
        )
    elif args.command == "train":
        from .train import run as run_train

        run_train(args)
    elif args.command == "triton":
        from convrec_kit.settings import CommonSettings, load_settings

        from .triton import render, serve_triton

        settings = load_settings(CommonSettings)
        if args.render_only:
            render(args.render_only, settings.triton_device, settings.artifacts_dir, settings.torch_threads,
                   catalog=settings.catalog)
            print(f"rendered model repository for {settings.triton_device} in {args.render_only}")
            return
        sys.exit(serve_triton(settings.artifacts_dir, settings.triton_device, args.grpc_port,
                              args.http_port, args.metrics_port, settings.torch_threads, settings.catalog))
    elif args.command == "chat":
        from .talk import chat

        chat(args.address, args.user, args.page_size)
    elif args.command == "demo":
        from .talk import demo

        demo(args.address, args.user, args.page_size)
    elif args.command == "bench":
        from .bench import run_bench

        run_bench(args.address, [int(c) for c in args.clients.split(",")], args.conversations)
    elif args.command == "data":
        from convrec_data.cli import run as run_data

        run_data(args)
    elif args.command == "eval":
        from convrec_eval.cli import run as run_eval

        run_eval(args)


if __name__ == "__main__":
    main()
