"""`convrec chat` and `convrec demo`: terminal clients of the DialogueService."""

from __future__ import annotations

import os

import grpc

from convrec.common.v1 import common_pb2
from convrec.dialogue.v1 import dialogue_pb2, dialogue_pb2_grpc
from convrec_kit.credentials import client_metadata
from convrec_kit.tls import ClientTLS, dial

DEMO_SCRIPT = (
    "Hi!",
    "Recommend me a movie",
    "Something like Alien, but after 2000 and no horror",
    "Why the first one?",
    "Who directed the second one?",
    "I've seen the first one",
    "Something newer",
    "我想买一本经济类的书，价格在100-200元之间",
    "第一本书多少钱？",
    "Thanks, bye!",
)


def show(response: dialogue_pb2.ConverseResponse, out=print) -> None:
    action = dialogue_pb2.Action.Name(response.action).removeprefix("ACTION_").lower()
    out(f"convrec [{action}]: {response.reply}")
    for rank, rec in enumerate(response.recommendations, 1):
        year = rec.item.numeric.get("year")
        out(
            f"  {rank:>2}. {rec.item.title}"
            + (f" ({int(year)})" if year else "")
            + f"  score {rec.score:.3f}"
        )
        out(f"      {rec.explanation}")
    if response.suggested_replies:
        out("  try: " + " | ".join(response.suggested_replies))


def _stub(address: str) -> dialogue_pb2_grpc.DialogueServiceStub:
    channel = dial(address, ClientTLS.from_env(os.environ))  # TLS when CONVREC_TLS_CA_FILE is set
    grpc.channel_ready_future(channel).result(timeout=30)
    return dialogue_pb2_grpc.DialogueServiceStub(channel)


def demo(address: str, user_id: str = "demo-user", page_size: int = 5) -> None:
    stub = _stub(address)
    session_id = ""
    for utterance in DEMO_SCRIPT:
        print(f"\nyou: {utterance}")
        response = stub.Converse(
            dialogue_pb2.ConverseRequest(
                session_id=session_id,
                user_id=user_id,
                utterance=utterance,
                page_size=page_size,
                context=common_pb2.Context(device="tv", locale="en-US"),
            ),
            metadata=client_metadata(),  # CONVREC_TOKEN, when the gateway wants a bearer token
            timeout=30,
        )
        session_id = response.session_id
        show(response)


def chat(address: str, user_id: str = "", page_size: int = 5) -> None:
    stub = _stub(address)
    session_id = ""
    print("Talk to convrec (English or Chinese). Empty line or Ctrl-D to quit.")
    while True:
        try:
            utterance = input("\nyou: ").strip()
        except EOFError:
            break
        if not utterance:
            break
        try:
            response = stub.Converse(
                dialogue_pb2.ConverseRequest(
                    session_id=session_id, user_id=user_id, utterance=utterance, page_size=page_size
                ),
                metadata=client_metadata(),
                timeout=30,
            )
        except grpc.RpcError as err:
            print(f"error: {err.code().name}: {err.details()}")
            continue
        session_id = response.session_id
        show(response)
