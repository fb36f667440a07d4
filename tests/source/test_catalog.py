"""The stream catalogue (plain data for `conns discover` and runners) tells the truth about ses_source."""

from __future__ import annotations

from pathlib import Path

from sesflow.emulator import Emulator
from sesflow.source import STREAMS, ses_source
from tests.source.conftest import source_args


def test_the_catalogue_lists_exactly_the_resources_that_land_tables(aws: Path, ses: Emulator) -> None:
    source = ses_source(**source_args(ses))
    assert {stream.name for stream in STREAMS} == set(source.selected_resources)


def test_each_streams_primary_key_is_the_one_its_resource_declares(aws: Path, ses: Emulator) -> None:
    resources = ses_source(**source_args(ses)).resources
    for stream in STREAMS:
        key = resources[stream.name].compute_table_schema()["columns"]
        declared = tuple(name for name, column in key.items() if column.get("primary_key"))
        assert declared == stream.primary_key, stream.name


def test_incremental_streams_merge_and_snapshots_replace(aws: Path, ses: Emulator) -> None:
    resources = ses_source(**source_args(ses)).resources
    for stream in STREAMS:
        disposition = resources[stream.name].compute_table_schema()["write_disposition"]
        assert disposition == ("merge" if stream.incremental else "replace"), stream.name
        assert (stream.cursor is not None) == stream.incremental
