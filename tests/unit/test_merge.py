"""convrec_gateway.merge.merge: accumulating constraints across turns."""

from __future__ import annotations

from convrec.common.v1 import common_pb2
from convrec.intent.v1 import intent_pb2
from convrec_gateway import merge as merging
from convrec_gateway.session import Wanted
from convrec_intent import flags

RECOMMEND = intent_pb2.INTENT_TYPE_RECOMMEND
REFINE = intent_pb2.INTENT_TYPE_REFINE


def rng(field, min=None, max=None):
    r = common_pb2.NumericRange(field=field)
    if min is not None:
        r.min = min
    if max is not None:
        r.max = max
    return r


def parse(intent=REFINE, adjustments=(), cleared=(), **constraints):
    return intent_pb2.ParseResponse(
        intent=intent,
        constraints=common_pb2.Constraints(**constraints),
        adjustments=[intent_pb2.RelativeAdjustment(field=f, direction=d) for f, d in adjustments],
        cleared_categories=list(cleared),
    )


def merge(wanted, p, utterance, shown):
    """Merges with the flags the intent service reads from the utterance ("too", "也要")."""
    p.flags[:] = flags.detect(utterance)
    before = repr(wanted)
    out = merging.merge(wanted, p, shown)
    assert repr(wanted) == before  # merging never changes its input
    return out


def items(field, values):
    return [common_pb2.Item(item_id=f"x{i}", title="x", numeric={field: v}) for i, v in enumerate(values)]


def test_first_turn_fills_an_empty_state():
    w = merge(
        Wanted(),
        parse(
            RECOMMEND,
            include_categories=["horror"],
            domain="movie",
            mood="scary",
            ranges=[rng("year", 1990, 1999)],
            keywords=["space"],
            seed_item_ids=["mv-alien-1979"],
            people=["Ridley Scott"],
        ),
        "",
        [],
    )
    assert w.include == ["horror"]
    assert w.domain == "movie"
    assert w.mood == "scary"
    assert w.ranges == {"year": [1990, 1999]}
    assert w.keywords == ["space"]
    assert w.seeds == ["mv-alien-1979"]
    assert w.people == ["Ridley Scott"]


def test_later_turn_overrides_includes():
    w = Wanted(include=["horror"], domain="movie")
    w = merge(w, parse(include_categories=["comedy"]), "make it a comedy instead", [])
    assert w.include == ["comedy"]


def test_additive_words_keep_earlier_includes():
    w = Wanted(include=["horror"])
    assert merge(w, parse(include_categories=["comedy"]), "comedy too", []).include == ["horror", "comedy"]
    w = Wanted(include=["horror"])
    assert merge(w, parse(include_categories=["comedy"]), "喜剧也要", []).include == ["horror", "comedy"]


def test_turn_without_categories_keeps_includes():
    w = Wanted(include=["horror"])
    assert merge(w, parse(ranges=[rng("year", min=2000)]), "after 1999", []).include == ["horror"]


def test_negation_removes_an_include():
    w = Wanted(include=["comedy", "drama"])
    w = merge(w, parse(exclude_categories=["comedy"]), "actually no comedy", [])
    assert w.include == ["drama"]
    assert w.exclude == ["comedy"]


def test_including_again_lifts_an_exclusion():
    w = Wanted(exclude=["horror", "war"])
    w = merge(w, parse(include_categories=["horror"]), "horror then", [])
    assert w.include == ["horror"]
    assert w.exclude == ["war"]


def test_cleared_categories_lift_an_exclusion():
    w = Wanted(exclude=["horror"])
    w = merge(w, parse(cleared=["horror"]), "horror is fine now", [])
    assert w.exclude == []
    assert w.include == []


def test_exclusions_accumulate_without_duplicates():
    w = Wanted(exclude=["horror"])
    w = merge(w, parse(exclude_categories=["horror", "thriller"]), "no horror or thriller", [])
    assert w.exclude == ["horror", "thriller"]


def test_range_bounds_override_one_at_a_time():
    w = Wanted(ranges={"year": [1990, 2010]})
    w = merge(w, parse(ranges=[rng("year", min=2000)]), "after 1999", [])
    assert w.ranges == {"year": [2000, 2010]}
    w = merge(w, parse(ranges=[rng("year", max=2005)]), "before 2006", [])
    assert w.ranges == {"year": [2000, 2005]}
    w = merge(w, parse(ranges=[rng("price", max=50)]), "under 50", [])
    assert w.ranges == {"year": [2000, 2005], "price": [None, 50]}


def test_conflicting_bound_is_dropped():
    w = Wanted(ranges={"year": [1990, 1999]})
    w = merge(w, parse(ranges=[rng("year", min=2005)]), "after 2004", [])
    assert w.ranges == {"year": [2005, None]}
    w = Wanted(ranges={"year": [2005, None]})
    w = merge(w, parse(ranges=[rng("year", max=1980)]), "before 1981", [])
    assert w.ranges == {"year": [None, 1980]}


def test_domain_change_resets_the_request():
    w = Wanted(
        include=["horror"],
        exclude=["comedy"],
        ranges={"year": [1990, 1999]},
        keywords=["space"],
        seeds=["mv-alien-1979"],
        mood="scary",
        domain="movie",
        people=["X Y"],
    )
    w = merge(w, parse(RECOMMEND, domain="book", include_categories=["economics"]), "an economics book", [])
    assert w == Wanted(include=["economics"], domain="book")


def test_same_domain_does_not_reset():
    w = Wanted(include=["horror"], domain="movie", ranges={"year": [1990, 1999]})
    w = merge(w, parse(domain="movie", exclude_categories=["comedy"]), "no comedy movies", [])
    assert w.include == ["horror"]
    assert w.ranges == {"year": [1990, 1999]}


def test_newer_uses_the_median_of_shown_items():
    shown = items("year", [1990, 2000, 2010, 2020])
    w = merge(Wanted(domain="movie"), parse(adjustments=[("year", 1)]), "something newer", shown)
    assert w.ranges == {"year": [2006.0, None]}  # median 2005, one year past it


def test_older_keeps_a_compatible_lower_bound_and_drops_a_conflicting_one():
    shown = items("year", [1995, 2001, 2003])
    w = merge(Wanted(ranges={"year": [1980, None]}), parse(adjustments=[("year", -1)]), "older", shown)
    assert w.ranges == {"year": [1980, 2000.0]}
    w = merge(Wanted(ranges={"year": [2002, None]}), parse(adjustments=[("year", -1)]), "older", shown)
    assert w.ranges == {"year": [None, 2000.0]}


def test_newer_drops_a_conflicting_upper_bound():
    shown = items("year", [1995, 2001, 2003])
    w = merge(Wanted(ranges={"year": [None, 2001]}), parse(adjustments=[("year", 1)]), "newer", shown)
    assert w.ranges == {"year": [2002.0, None]}


def test_cheaper_uses_cny_price_first_then_usd():
    shown = [
        common_pb2.Item(item_id=f"b{i}", title="b", numeric={"price": p, "price_usd": p / 7})
        for i, p in enumerate([100.0, 200.0, 300.0])
    ]
    w = merge(Wanted(domain="book"), parse(adjustments=[("price", -1)]), "cheaper", shown)
    assert w.ranges == {"price": [None, 99.99]}  # cheaper than the cheapest shown
    usd_only = items("price_usd", [10.0, 30.0])
    w = merge(Wanted(domain="book"), parse(adjustments=[("price", -1)]), "cheaper", usd_only)
    assert w.ranges == {"price_usd": [None, 9.99]}


def test_price_adjustment_is_ignored_for_movies():
    shown = items("price", [10.0, 20.0])
    w = merge(Wanted(domain="movie"), parse(adjustments=[("price", -1)]), "cheaper", shown)
    assert w.ranges == {}


def test_adjustment_without_shown_values_changes_nothing():
    w = merge(Wanted(ranges={"year": [1990, 1999]}), parse(adjustments=[("year", 1)]), "newer", [])
    assert w.ranges == {"year": [1990, 1999]}
    w = merge(Wanted(), parse(adjustments=[("runtime", -1)]), "shorter", items("year", [2000]))
    assert w.ranges == {}


def test_keywords_reset_on_recommend_accumulate_on_refine():
    w = merge(Wanted(keywords=["space"]), parse(RECOMMEND, keywords=["robots"]), "robots", [])
    assert w.keywords == ["robots"]
    w = merge(Wanted(keywords=["space"]), parse(REFINE, keywords=["robots"]), "with robots", [])
    assert w.keywords == ["space", "robots"]
    w = merge(Wanted(keywords=["space"]), parse(RECOMMEND, keywords=["robots"]), "robots too", [])
    assert w.keywords == ["space", "robots"]


def test_seeds_replace_unless_additive():
    w = merge(Wanted(seeds=["a"]), parse(seed_item_ids=["b"]), "like b", [])
    assert w.seeds == ["b"]
    w = merge(Wanted(seeds=["a"]), parse(seed_item_ids=["b"]), "and also like b", [])
    assert w.seeds == ["a", "b"]


def test_empty_turn_keeps_everything():
    before = Wanted(
        include=["horror"],
        exclude=["comedy"],
        ranges={"year": [1990, 1999]},
        keywords=["space"],
        seeds=["s"],
        mood="dark",
        domain="movie",
        people=["P Q"],
    )
    after = merge(
        Wanted(
            **{
                k: (list(v) if isinstance(v, list) else dict(v) if isinstance(v, dict) else v)
                for k, v in before.__dict__.items()
            }
        ),
        parse(),
        "ok",
        [],
    )
    assert after == before


def test_wanted_to_proto_round_trip_of_ranges():
    proto = Wanted(ranges={"year": [None, 1999], "price": [10, 20]}).to_proto()
    by_field = {r.field: r for r in proto.ranges}
    assert not by_field["year"].HasField("min") and by_field["year"].max == 1999
    assert by_field["price"].min == 10 and by_field["price"].max == 20
