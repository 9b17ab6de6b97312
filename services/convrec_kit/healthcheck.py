"""`python -m convrec_kit.healthcheck`: exits 0 when a service's gRPC health check says SERVING.

An exec probe for Kubernetes, whose own gRPC probes cannot dial TLS: it dials over TLS when
CONVREC_TLS_CA_FILE or CONVREC_TLS_CLIENT_CERT_FILE is set (as the services themselves do)."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from .tls import ClientTLS, dial


def check(address: str, service: str = "", tls: ClientTLS | None = None, timeout: float = 3.0) -> str:
    """The health status name at `address`, or the gRPC code name when the call fails."""
    with dial(address, tls) as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=service), timeout=timeout)
        except grpc.RpcError as err:
            return err.code().name
    return health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m convrec_kit.healthcheck", description=__doc__.splitlines()[0])
    parser.add_argument("--address", default="127.0.0.1:50051")
    parser.add_argument("--service", default="", help="a service name; the whole server by default")
    parser.add_argument("--server-name", default=None,
                        help="name expected in the server's certificate (default: CONVREC_TLS_SERVER_NAME or the host)")
    parser.add_argument("--timeout", type=float, default=3.0)
    args = parser.parse_args(argv)
    tls = ClientTLS.from_env(os.environ)
    if tls is not None and args.server_name is not None:
        tls = replace(tls, server_name=args.server_name)
    try:
        status = check(args.address, args.service, tls, args.timeout)
    except OSError as exc:  # a TLS file that cannot be read
        status = f"cannot read {exc.filename}"
    print(status)
    return 0 if status == "SERVING" else 1


if __name__ == "__main__":
    sys.exit(main())
