"""`make bench [MODE=triton]`: start the services on free ports, benchmark, stop.

MODE=triton benchmarks the embedded services and the services on a local tritonserver in
the same run, and reads the batch sizes Triton formed from its metrics endpoint.
`--stores sqlite,redis` (make bench STORES=sqlite,redis) compares one gateway on SQLite with
`--gateways` replicas on one local redis-server, each conversation alternating replicas.
`--secure` (make bench SECURE=1) runs the same bench plain and then with TLS on every service
(mutual between them) and CONVREC_AUTH=on, and prints the ratios.
`--interest` (make bench INTEREST=1) runs the interest formula and a trained interest model
side by side, per turn and for the Rank call alone. `--understanding` (make bench
UNDERSTANDING=1) times the intent service's Parse with the rules and with the joint model.
`--dialogue` (make bench DIALOGUE=1) runs the services without and with a trained dialogue
model, per turn."""

from __future__ import annotations

import argparse
import re
import secrets
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from convrec_kit.cluster import Cluster
from convrec_kit.processes import free_port
from convrec_kit.redis_server import RedisServer

from .bench import run_bench
from .bench_dialogue import compare_dialogue
from .bench_interest import compare_interest
from .bench_understanding import compare_understanding
from .triton import TritonServer


def triton_batches(metrics_port: int) -> dict[str, tuple[float, float]]:
    """Per model: (requests, executions) so far; requests / executions = mean batch size."""
    with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5) as reply:
        text = reply.read().decode()
    out: dict[str, list[float]] = {}
    for name, index in (("nv_inference_request_success", 0), ("nv_inference_exec_count", 1)):
        for model, value in re.findall(rf'^{name}{{model="([^"]+)",[^}}]*}} (\S+)', text, re.M):
            out.setdefault(model, [0.0, 0.0])[index] += float(value)
    return {m: (v[0], v[1]) for m, v in out.items()}


def run_cluster(workdir: Path, levels, conversations, extra_env=None, token_for=None) -> list[dict]:
    cluster = Cluster(workdir, extra_env=extra_env or {})
    try:
        cluster.start()
        return run_bench(cluster.address(), levels, conversations, cluster.metrics_ports, cluster.pids(),
                         cluster.client_tls(), token_for)
    finally:
        cluster.stop()


def run_replicas(workdir: Path, gateways: int, levels, conversations) -> list[dict]:
    """`gateways` gateway processes on one durable local redis-server."""
    with RedisServer(workdir / "redis") as redis:
        cluster = Cluster(workdir / "services", extra_env={"CONVREC_STORE": "redis", "CONVREC_REDIS_URL": redis.url})
        try:
            cluster.start()
            for n in range(2, gateways + 1):
                cluster.add_gateway(f"gateway-{n}")
            ports, pids = {**cluster.metrics_ports, "redis": 0}, {**cluster.pids(), "redis": redis.proc.pid}
            return run_bench(cluster.gateways(), levels, conversations, ports, pids)
        finally:
            cluster.stop()


def compare_stores(root: Path, stores: list[str], gateways: int, levels, conversations) -> None:
    """One gateway on SQLite and/or `gateways` replicas on Redis, then their figures side by side."""
    results = {}
    for store in stores:
        replicas = 1 if store == "sqlite" else gateways
        label = f"{store} x{replicas}"
        print(f"\n== {label} gateway(s): {conversations} conversations per client at {levels} clients")
        if store == "sqlite":
            results[label] = run_cluster(root / store, levels, conversations)
        else:
            results[label] = run_replicas(root / store, gateways, levels, conversations)
    print("\nstores side by side (turns/s, p50 ms, p99 ms, errors):")
    print(f"{'clients':>7} " + " ".join(f"{label:>30}" for label in results))
    for i, level in enumerate(levels):
        cells = [f"{r[i]['turns_per_s']:>8.1f} {r[i]['p50_ms']:>7.1f} {r[i]['p99_ms']:>7.1f} {r[i]['errors']:>5}"
                 for r in results.values()]
        print(f"{level:>7} " + " ".join(f"{c:>30}" for c in cells))


def auth_env() -> tuple[dict[str, str], Callable[[str], str] | None]:
    """CONVREC_AUTH=on with a fresh HS256 secret, and what mints a user's token (`sub` and `exp`)
    for it, where the auth settings exist (with PyJWT); else nothing: the secure run is TLS only."""
    try:
        import jwt

        from convrec_kit.auth_settings import SecuritySettings
    except ImportError:
        return {}, None
    if "auth" not in SecuritySettings.model_fields:
        return {}, None
    secret = secrets.token_urlsafe(32)
    mint = lambda sub: jwt.encode({"sub": sub, "exp": int(time.time()) + 3600}, secret, algorithm="HS256")  # noqa: E731
    return {"CONVREC_AUTH": "on", "CONVREC_AUTH_HS256_SECRET": secret}, mint


def compare_secure(root: Path, levels, conversations) -> None:
    """The same bench plain, then over TLS (mutual between services; the bench presents the
    certificate too) with each user's bearer token where auth exists; p50 and turns/s side by side."""
    from .certs import TLSFiles

    print(f"== plain: {conversations} conversations per client at {levels} clients")
    plain = run_cluster(root / "plain", levels, conversations)
    env, token_for = auth_env()
    label = "TLS + auth" if token_for else "TLS (no auth settings here: TLS only)"
    print(f"\n== {label}: mutual TLS on every service")
    secure = run_cluster(root / "secure", levels, conversations, {**TLSFiles.create(root / "tls").env(), **env},
                         token_for)
    print(f"\n{label} vs plain:")
    print(f"{'clients':>7} {'p50 plain':>10} {'p50 secure':>11} {'ratio':>6} {'turns/s plain':>14} "
          f"{'turns/s secure':>15} {'ratio':>6} {'errors':>7}")
    for p, s in zip(plain, secure, strict=True):
        print(f"{p['clients']:>7} {p['p50_ms']:>10.1f} {s['p50_ms']:>11.1f} {s['p50_ms'] / p['p50_ms']:>6.2f} "
              f"{p['turns_per_s']:>14.1f} {s['turns_per_s']:>15.1f} {s['turns_per_s'] / p['turns_per_s']:>6.2f} "
              f"{s['errors']:>7}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="make bench")
    parser.add_argument("--mode", choices=["embedded", "triton"], default="embedded")
    parser.add_argument("--clients", default=None,
                        help="default 1,8 (embedded), 1,8,32 (triton) or 8,32 (--stores)")
    parser.add_argument("--conversations", type=int, default=12)
    parser.add_argument("--stores", default="", help="e.g. sqlite,redis: compare the session stores")
    parser.add_argument("--gateways", type=int, default=2, help="gateway replicas on Redis (--stores)")
    parser.add_argument("--secure", action="store_true", help="plain, then TLS on every service and auth")
    parser.add_argument("--interest", action="store_true", help="the interest formula, then a trained model")
    parser.add_argument("--dialogue", action="store_true", help="without, then with a trained dialogue model")
    parser.add_argument("--think", type=float, default=0.0, help="--dialogue: seconds a user pauses between turns")
    parser.add_argument("--understanding", action="store_true",
                        help="the intent service with the rules, then with the joint model")
    args = parser.parse_args()
    if args.understanding:
        with tempfile.TemporaryDirectory(prefix="convrec-bench-") as tmp:
            compare_understanding(Path(tmp))
        return
    if args.dialogue:
        if args.stores or args.secure or args.interest or args.mode != "embedded":
            parser.error("--dialogue runs on its own (embedded, SQLite)")
        with tempfile.TemporaryDirectory(prefix="convrec-bench-") as tmp:
            compare_dialogue(Path(tmp), [int(x) for x in (args.clients or "1,8").split(",")], args.conversations,
                             args.think)
        return
    if args.interest:
        if args.stores or args.secure or args.mode != "embedded":
            parser.error("--interest runs on its own (embedded, SQLite)")
        with tempfile.TemporaryDirectory(prefix="convrec-bench-") as tmp:
            compare_interest(Path(tmp), [int(x) for x in (args.clients or "1,8").split(",")], args.conversations)
        return
    if args.secure:
        if args.stores or args.mode != "embedded":
            parser.error("--secure runs on its own (embedded, SQLite)")
        with tempfile.TemporaryDirectory(prefix="convrec-bench-") as tmp:
            compare_secure(Path(tmp), [int(x) for x in (args.clients or "1,8").split(",")], args.conversations)
        return
    if args.stores:
        stores = [s.strip() for s in args.stores.split(",") if s.strip()]
        if not stores or set(stores) - {"sqlite", "redis"} or args.gateways < 1:
            parser.error("--stores takes sqlite and/or redis, --gateways at least 1")
        levels = [int(x) for x in (args.clients or "8,32").split(",")]
        with tempfile.TemporaryDirectory(prefix="convrec-bench-") as tmp:
            compare_stores(Path(tmp), stores, args.gateways, levels, args.conversations)
        return
    levels = [int(x) for x in (args.clients or ("1,8,32" if args.mode == "triton" else "1,8")).split(",")]
    with tempfile.TemporaryDirectory(prefix="convrec-bench-") as tmp:
        root = Path(tmp)
        print(f"== embedded: {args.conversations} conversations per client at {levels} clients")
        embedded = run_cluster(root / "embedded", levels, args.conversations)
        if args.mode == "embedded":
            return
        from convrec_kit.settings import CommonSettings

        settings = CommonSettings()
        server = TritonServer(root / "triton", settings.artifacts_dir, free_port(), free_port(), free_port(),
                              settings.triton_device, settings.torch_threads, settings.catalog).start()
        try:
            server.wait_ready()
            print(f"\n== triton ({settings.triton_device}) at {server.url}")
            before = triton_batches(server.metrics_port)
            env = {"CONVREC_MODEL_BACKEND": "triton", "CONVREC_TRITON_URL": server.url}
            triton = run_cluster(root / "services-triton", levels, args.conversations, env)
            after = triton_batches(server.metrics_port)
            print("\nTriton batches over the whole triton run (requests / executions = mean batch):")
            for model, (requests, executions) in sorted(after.items()):
                r0, e0 = before.get(model, (0.0, 0.0))
                mean = (requests - r0) / max(1.0, executions - e0)
                print(f"  {model}: {requests - r0:.0f} requests in {executions - e0:.0f} executions, "
                      f"mean batch {mean:.2f}")
        finally:
            server.stop()
        print("\nratios triton / embedded:")
        print(f"{'clients':>7} {'p50':>7} {'p99':>7} {'turns/s':>8}")
        for e, t in zip(embedded, triton, strict=True):
            print(f"{e['clients']:>7} {t['p50_ms'] / e['p50_ms']:>7.2f} {t['p99_ms'] / e['p99_ms']:>7.2f} "
                  f"{t['turns_per_s'] / e['turns_per_s']:>8.2f}")


if __name__ == "__main__":
    main()
