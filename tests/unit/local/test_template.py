"""The template resolver: intrinsic functions and creation order, without any AWS."""

import pytest

from alpr.local.template import Resolver, Template, TemplateError, references


def resolver() -> Resolver:
    r = Resolver(region="us-east-1", account_id="123456789012")
    r.refs["Table"] = "alpr-reads"
    r.attributes[("Table", "Arn")] = "arn:aws:dynamodb:us-east-1:123456789012:table/alpr-reads"
    return r


def test_ref_getatt_join_and_pseudo_parameters_resolve():
    # Given a fragment using the intrinsics CDK emits
    fragment = {
        "Name": {"Ref": "Table"},
        "Arn": {"Fn::GetAtt": ["Table", "Arn"]},
        "Joined": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":", {"Ref": "AWS::Region"}]]},
        "Sub": {"Fn::Sub": "${Table}-${AWS::AccountId}-${Table.Arn}"},
        "SubVars": {"Fn::Sub": ["${x}/${Table}", {"x": {"Ref": "AWS::StackName"}}]},
        "Selected": {"Fn::Select": [1, {"Fn::Split": ["/", "a/b/c"]}]},
    }
    # When it is resolved
    resolved = resolver().resolve(fragment)
    # Then every intrinsic is replaced by its local value
    assert resolved == {
        "Name": "alpr-reads",
        "Arn": "arn:aws:dynamodb:us-east-1:123456789012:table/alpr-reads",
        "Joined": "arn:aws:us-east-1",
        "Sub": "alpr-reads-123456789012-arn:aws:dynamodb:us-east-1:123456789012:table/alpr-reads",
        "SubVars": "AlprBackOffice/alpr-reads",
        "Selected": "b",
    }


def test_unknown_reference_is_a_clear_error():
    with pytest.raises(TemplateError, match="Missing"):
        resolver().resolve({"Ref": "Missing"})


def test_references_finds_ref_getatt_and_sub_names():
    fragment = {
        "A": {"Ref": "X"},
        "B": [{"Fn::GetAtt": "Y.Arn"}],
        "C": {"Fn::Sub": "${Z.Arn}:${AWS::Region}"},
    }
    assert references(fragment) == {"X", "Y", "Z", "AWS::Region"}


def test_creation_order_puts_dependencies_first():
    # Given a function that refers to a role and a queue that depends on a key
    template = Template(
        resources={
            "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Role": {"Fn::GetAtt": ["Role", "Arn"]}}},
            "Role": {"Type": "AWS::IAM::Role", "Properties": {}},
            "Queue": {"Type": "AWS::SQS::Queue", "DependsOn": "Key", "Properties": {}},
            "Key": {"Type": "AWS::KMS::Key", "Properties": {}},
        }
    )
    order = template.creation_order()
    assert order.index("Role") < order.index("Fn")
    assert order.index("Key") < order.index("Queue")
