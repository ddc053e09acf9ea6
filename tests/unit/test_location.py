from __future__ import annotations

from uuid import uuid4

import pytest

from domain.errors import LocationHasChargers, LocationNotFound
from domain.location import Location, LocationDetails, slugify


def test_a_location_gets_a_slug_from_its_name() -> None:
    location = Location.create("acme", LocationDetails(name="Dépôt Nord 2"), "t")
    assert location.slug == "depot-nord-2"
    assert slugify("!!!") == "location"


def test_an_update_with_the_same_details_records_nothing() -> None:
    location = Location.create("acme", LocationDetails(name="A"), "t")
    location.collect_events()
    location.update(LocationDetails(name="A"), "t")
    assert location.collect_events() == []
    location.update(LocationDetails(name="B", city="Lyon"), "t")
    [updated] = location.collect_events()
    assert isinstance(updated, Location.Updated)
    assert updated.details.city == "Lyon"


def test_a_location_with_chargers_is_deleted_only_with_cascade() -> None:
    location = Location.create("acme", LocationDetails(name="A"), "t")
    location.assign([uuid4()])
    with pytest.raises(LocationHasChargers):
        location.delete("t", cascade=False)
    location.delete("t", cascade=True)
    assert location.deleted


def test_assigning_twice_records_once() -> None:
    location = Location.create("acme", LocationDetails(name="A"), "t")
    charger = uuid4()
    location.assign([charger])
    location.assign([charger])
    location.unassign([charger])
    location.unassign([charger])
    names = [type(e).__name__ for e in location.collect_events()]
    assert names == ["Created", "ChargersAssigned", "ChargersUnassigned"]


def test_another_tenants_location_is_not_found() -> None:
    location = Location.create("acme", LocationDetails(name="A"), "t")
    location.check_owned_by("acme")
    with pytest.raises(LocationNotFound):
        location.check_owned_by("globex")
