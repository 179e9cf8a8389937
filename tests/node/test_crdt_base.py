"""The observed-remove rule every collection type shares, on the dots of one member."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from node.crdt.base import Dots, add_dot, covered, newest, remove_covered


def test_a_remove_drops_only_the_adds_it_had_seen() -> None:
    dots: Dots = {}
    add_dot(dots, 10, "eu")
    add_dot(dots, 12, "us")  # concurrent add in another region
    assert not remove_covered(dots, {"eu": 11, "us": 5})
    assert dots == {"us": 12}
    assert remove_covered(dots, {"us": 12})


def test_a_newer_add_of_the_same_region_supersedes_the_older() -> None:
    dots: Dots = {}
    add_dot(dots, 10, "eu")
    add_dot(dots, 8, "eu")  # late duplicate of an older add: ignored
    add_dot(dots, 15, "eu")
    assert dots == {"eu": 15}
    assert newest(dots) == (15, "eu")
    assert covered(15, "eu", {"eu": 15}) and not covered(16, "eu", {"eu": 15})


ops = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.integers(0, 50), st.sampled_from("abc")),
        st.tuples(
            st.just("rm"), st.dictionaries(st.sampled_from("abc"), st.integers(0, 50)), st.just("")
        ),
    ),
    max_size=12,
)


@given(ops, st.randoms())
def test_any_causal_order_converges(script: list, rng) -> None:  # type: ignore[type-arg,no-untyped-def]
    def run(order: list) -> Dots:  # type: ignore[type-arg]
        dots: Dots = {}
        for kind, arg, region in order:
            if kind == "add":
                add_dot(dots, arg, region)
            else:
                remove_covered(dots, arg)
        return dots

    # Adds are independent and removes commute with each other; an add and a
    # remove commute unless the remove covers the add, which causal delivery
    # orders: apply removes after the adds they cover in every permutation.
    # (A duplicate delivered after its remove would resurrect the member: the
    # applier drops duplicate records by origin sequence, see apply_record.)
    adds = [o for o in script if o[0] == "add"]
    removes = [o for o in script if o[0] == "rm"]
    shuffled_adds = adds[:]
    rng.shuffle(shuffled_adds)
    shuffled_removes = removes[:]
    rng.shuffle(shuffled_removes)
    assert run(adds + removes) == run(shuffled_adds + shuffled_removes)
