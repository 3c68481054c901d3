"""The canvass indexes: the Reads table carries both cell precisions and the API may query them."""

from __future__ import annotations

from alpr import names
from alpr.names import Env
from tests.infra.conftest import Synth, as_list
from tests.infra.test_functions import _statements_of_role


def test_reads_table_has_both_canvass_indexes_keyed_by_cell_day_and_time(synth: Synth) -> None:
    indexes = {gsi["IndexName"]: gsi for gsi in synth.props("ReadsTable")["GlobalSecondaryIndexes"]}
    for index, key in (
        (names.READS_BY_CELL_DAY_INDEX, names.READS_CELL_DAY_KEY),
        (names.READS_BY_CELL7_DAY_INDEX, names.READS_CELL7_DAY_KEY),
    ):
        schema = [(k["AttributeName"], k["KeyType"]) for k in indexes[index]["KeySchema"]]
        assert schema == [(key, "HASH"), (names.READS_TIME_KEY, "RANGE")]


def test_reads_indexes_keep_keys_only(synth: Synth) -> None:
    # A read is stored once: searches fetch the reads an index found from the table (issue 23).
    indexes = synth.props("ReadsTable")["GlobalSecondaryIndexes"]
    assert {gsi["IndexName"] for gsi in indexes} == {
        names.READS_BY_PLATE_INDEX,
        names.READS_BY_CELL_DAY_INDEX,
        names.READS_BY_CELL7_DAY_INDEX,
        names.READS_BY_CORRECTED_PLATE_INDEX,
    }
    assert all(gsi["Projection"] == {"ProjectionType": "KEYS_ONLY"} for gsi in indexes)


def test_api_may_fetch_the_reads_an_index_found(synth: Synth) -> None:
    role = {"Ref": synth.props("ApiFunction")["Role"]["Fn::GetAtt"][0]}
    actions = {
        action
        for statement in _statements_of_role(synth, role)
        if {"Fn::GetAtt": ["ReadsTable", "Arn"]} in as_list(statement["Resource"])
        for action in as_list(statement["Action"])
    }
    assert {"dynamodb:Query", "dynamodb:BatchGetItem"} <= actions


def test_api_may_query_the_fine_canvass_index(synth: Synth) -> None:
    role = {"Ref": synth.props("ApiFunction")["Role"]["Fn::GetAtt"][0]}
    resources = [
        resource
        for statement in _statements_of_role(synth, role)
        if "dynamodb:Query" in as_list(statement["Action"])
        for resource in as_list(statement["Resource"])
    ]
    assert any(f"/index/{names.READS_BY_CELL7_DAY_INDEX}" in str(resource) for resource in resources)


def test_recognize_function_may_not_query_indexes_it_does_not_use(synth: Synth) -> None:
    role = {"Ref": synth.props("RecognizeFunction")["Role"]["Fn::GetAtt"][0]}
    resources = str([s["Resource"] for s in _statements_of_role(synth, role)])
    assert f"/index/{names.READS_BY_CELL7_DAY_INDEX}" not in resources


def test_plate_grams_table_is_written_by_recognize_and_read_by_the_api(synth: Synth) -> None:
    table = synth.props("PlateGramsTable")
    assert table["KeySchema"] == [{"AttributeName": names.PLATE_GRAM, "KeyType": "HASH"}]
    for function, writes in (("RecognizeFunction", True), ("ApiFunction", False)):
        role = {"Ref": synth.props(function)["Role"]["Fn::GetAtt"][0]}
        actions = {
            action
            for statement in _statements_of_role(synth, role)
            if "PlateGramsTable" in str(statement["Resource"])
            for action in as_list(statement["Action"])
        }
        assert "dynamodb:BatchGetItem" in actions
        assert ("dynamodb:UpdateItem" in actions) is writes
        environment = synth.props(function)["Environment"]["Variables"]
        assert environment[Env.PLATE_GRAMS_TABLE.value] == {"Ref": "PlateGramsTable"}
