"""The hole full syncs leave in a region's log: subscribers lacking any record it
skipped get a full sync; the floor only grows and survives restarts."""

from __future__ import annotations

from pathlib import Path

from replicator.floor import Floor, load_floor, save_floor


def test_only_subscribers_lacking_skipped_records_are_refused_partial_sync() -> None:
    floor = Floor({"eu": 900})
    assert floor.blocks({"eu": 10, "us": 3})
    assert floor.blocks({"eu": 899})
    assert floor.blocks({"us": 50})
    assert not floor.blocks({"eu": 900})
    assert not floor.blocks({"eu": 1000, "us": 1})
    assert not Floor({}).blocks({})


def test_the_floor_only_grows_and_survives_a_restart(tmp_path: Path) -> None:
    floor = load_floor(str(tmp_path))
    assert floor == Floor({})
    floor = floor.raised({"eu": 7, "us": 9}).raised({"eu": 5, "ap": 2})
    assert floor == Floor({"eu": 7, "us": 9, "ap": 2})
    save_floor(str(tmp_path), floor)
    assert load_floor(str(tmp_path)) == floor
