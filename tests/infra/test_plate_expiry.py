"""The Plates dictionary expires (TTL) and an expired plate leaves its trigrams (a stream and a function)."""

from __future__ import annotations

from typing import Any

from alpr.names import TTL_ATTRIBUTE, Env, Function
from tests.infra.conftest import Synth, as_list


def _role_statements(synth: Synth, function_id: str) -> list[dict[str, Any]]:
    role = {"Ref": synth.props(function_id)["Role"]["Fn::GetAtt"][0]}
    return [
        statement
        for policy in synth.of_type("AWS::IAM::Policy").values()
        if role in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def _actions_on(statements: list[dict[str, Any]], logical_id: str) -> set[str]:
    return {a for s in statements if logical_id in str(s["Resource"]) for a in as_list(s["Action"])}


def test_the_plates_dictionary_has_a_ttl_and_a_stream_of_keys(synth: Synth) -> None:
    plates = synth.props("PlatesTable")
    assert plates["TimeToLiveSpecification"] == {"AttributeName": TTL_ATTRIBUTE, "Enabled": True}
    assert plates["StreamSpecification"] == {"StreamViewType": "KEYS_ONLY"}


def test_removed_plates_reach_the_prune_function_and_failures_are_kept(synth: Synth) -> None:
    (mapping,) = [
        m["Properties"]
        for m in synth.of_type("AWS::Lambda::EventSourceMapping").values()
        if "PlatesTable" in str(m["Properties"]["EventSourceArn"])
    ]
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": ["PlatesTable", "StreamArn"]}
    assert mapping["FunctionName"] == {"Ref": "PlateGramsPruneFunction"}
    assert mapping["FilterCriteria"] == {"Filters": [{"Pattern": '{"eventName":["REMOVE"]}'}]}
    assert mapping["BisectBatchOnFunctionError"] is True
    assert "OnFailure" in mapping["DestinationConfig"]
    assert synth.props("PlateGramsPruneFunction")["Environment"]["Variables"][Env.SERVICE.value] == (
        Function.PLATE_GRAMS_PRUNE.value
    )


def test_the_prune_function_may_only_take_plates_out_of_trigrams(synth: Synth) -> None:
    statements = _role_statements(synth, "PlateGramsPruneFunction")
    assert _actions_on(statements, "PlateGramsTable") == {"dynamodb:UpdateItem", "dynamodb:DeleteItem"}
    plates = _actions_on(statements, "PlatesTable")
    assert "dynamodb:ConditionCheckItem" in plates
    assert not plates & {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Scan"}


def test_the_api_may_mark_a_plate_held_but_not_write_the_dictionary_otherwise(synth: Synth) -> None:
    plates = _actions_on(_role_statements(synth, "ApiFunction"), "PlatesTable")
    assert "dynamodb:UpdateItem" in plates
    assert not plates & {"dynamodb:PutItem", "dynamodb:DeleteItem"}
