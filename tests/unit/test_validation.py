"""convrec_kit.validation: every bad input is a ServiceError with INVALID_ARGUMENT."""

from __future__ import annotations

import math

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2

from convrec.common.v1 import common_pb2
from convrec_kit.errors import ServiceError, invalid_argument, not_found
from convrec_kit.validation import check_constraints, check_count, check_utterance


def assert_invalid(exc_info, field):
    err = exc_info.value
    assert isinstance(err, ServiceError)
    assert err.code == grpc.StatusCode.INVALID_ARGUMENT
    assert err.reason == "INVALID_ARGUMENT"
    assert err.metadata == {"field": field}


@pytest.mark.parametrize("text", ["", "   ", "\n\t "])
def test_empty_or_blank_utterance(text):
    with pytest.raises(ServiceError) as exc:
        check_utterance(text, 100)
    assert_invalid(exc, "utterance")
    assert "empty" in exc.value.message


def test_utterance_is_stripped():
    assert check_utterance("  hello  ", 100) == "hello"


def test_oversized_utterance_counts_utf8_bytes():
    assert check_utterance("a" * 12, 12) == "a" * 12
    with pytest.raises(ServiceError) as exc:
        check_utterance("a" * 13, 12)
    assert_invalid(exc, "utterance")
    assert exc.value.message == "utterance is 13 bytes; the limit is 12"
    # four Chinese characters are 12 bytes
    assert check_utterance("你好你好", 12) == "你好你好"
    with pytest.raises(ServiceError):
        check_utterance("你好你好你", 12)


def test_custom_field_name():
    with pytest.raises(ServiceError) as exc:
        check_utterance("", 10, field="history[2].text")
    assert_invalid(exc, "history[2].text")


def test_valid_constraints_pass():
    check_constraints(
        common_pb2.Constraints(
            ranges=[
                common_pb2.NumericRange(field="year", min=1990, max=1990),
                common_pb2.NumericRange(field="price", max=10),
                common_pb2.NumericRange(field="rating", min=7),
            ]
        )
    )


def test_min_above_max():
    c = common_pb2.Constraints(ranges=[common_pb2.NumericRange(field="year", min=2005, max=1995)])
    with pytest.raises(ServiceError) as exc:
        check_constraints(c, "filters")
    assert_invalid(exc, "filters.ranges")
    assert exc.value.message == "year: min 2005 is above max 1995"


def test_range_without_field():
    with pytest.raises(ServiceError) as exc:
        check_constraints(common_pb2.Constraints(ranges=[common_pb2.NumericRange(min=1)]))
    assert_invalid(exc, "constraints.ranges")


@pytest.mark.parametrize("bound", ["min", "max"])
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_bounds(bound, value):
    r = common_pb2.NumericRange(field="price", **{bound: value})
    with pytest.raises(ServiceError) as exc:
        check_constraints(common_pb2.Constraints(ranges=[r]))
    assert_invalid(exc, "constraints.ranges")
    assert f"{bound} must be a finite number" in exc.value.message


def test_page_size_default_and_bounds():
    assert check_count(0, "page_size", 10, 100) == 10
    assert check_count(1, "page_size", 10, 100) == 1
    assert check_count(100, "page_size", 10, 100) == 100
    for bad in (-1, 101, 10_000):
        with pytest.raises(ServiceError) as exc:
            check_count(bad, "page_size", 10, 100)
        assert_invalid(exc, "page_size")
        assert exc.value.message == f"page_size must be between 1 and 100, got {bad}"


def test_to_status_carries_error_info():
    status = invalid_argument("utterance", "utterance is empty").to_status()
    assert status.code == grpc.StatusCode.INVALID_ARGUMENT
    assert status.details == "utterance is empty"
    md = dict(status.trailing_metadata)
    proto = status_pb2.Status.FromString(md["grpc-status-details-bin"])
    info = error_details_pb2.ErrorInfo()
    assert proto.details[0].Unpack(info)
    assert (info.reason, info.domain) == ("INVALID_ARGUMENT", "convrec.dev")
    assert dict(info.metadata) == {"field": "utterance"}


def test_not_found_code():
    err = not_found("session", "no such session")
    assert err.code == grpc.StatusCode.NOT_FOUND
    assert err.metadata == {"resource": "session"}


def test_catalog_require_unknown_id(catalog):
    with pytest.raises(ServiceError) as exc:
        catalog.require("no-such-item")
    assert_invalid(exc, "item_id")
    assert catalog.require("mv-alien-1979").title == "Alien"


def test_event_times_before_1970_or_in_the_future_are_refused():
    from convrec_kit.validation import MAX_CLOCK_SKEW_SECONDS, check_event_time

    now = 1.7e9
    check_event_time(common_pb2.FeedbackEvent(item_id="x", type=1), "t", now)  # no timestamp: now
    ok = common_pb2.FeedbackEvent(item_id="x", type=1)
    ok.timestamp.FromSeconds(int(now + MAX_CLOCK_SKEW_SECONDS - 1))
    check_event_time(ok, "t", now)
    for seconds in (int(now + MAX_CLOCK_SKEW_SECONDS + 5), -1):
        bad = common_pb2.FeedbackEvent(item_id="x", type=1)
        bad.timestamp.FromSeconds(seconds)
        with pytest.raises(ServiceError) as exc_info:
            check_event_time(bad, "events[0].timestamp", now)
        assert_invalid(exc_info, "events[0].timestamp")
