"""API Gateway routing and claims as the local HTTP shim applies them."""

import json

from alpr.local.http_api import Route, access_line, flatten_claims, proxy_event, routes_from_template
from alpr.local.template import Template

PROXY = Route(method="ANY", path="/v1/{proxy+}", function="api", cognito_pools=("pool",))
UPLOADS = Route(method="POST", path="/v1/uploads", function="uploads", cognito_pools=("pool",))
ONE_READ = Route(method="GET", path="/v1/reads/{read_id}", function="api", cognito_pools=("pool",))


def test_literal_path_matches_only_its_method():
    assert UPLOADS.match("POST", "/v1/uploads") == {}
    assert UPLOADS.match("GET", "/v1/uploads") is None
    assert UPLOADS.match("POST", "/v1/uploads/x") is None


def test_greedy_proxy_takes_the_rest_of_the_path():
    assert PROXY.match("GET", "/v1/reads/search") == {"proxy": "reads/search"}
    assert PROXY.match("DELETE", "/v1/") is None


def test_path_parameter_takes_one_segment():
    assert ONE_READ.match("GET", "/v1/reads/01J") == {"read_id": "01J"}
    assert ONE_READ.match("GET", "/v1/reads/01J/image") is None


def test_more_specific_routes_sort_first():
    ordered = sorted([PROXY, ONE_READ, UPLOADS], key=lambda r: r.specificity, reverse=True)
    assert ordered[-1] == PROXY


def test_claims_reach_the_function_as_strings():
    claims = {"cognito:groups": ["investigator", "supervisor"], "exp": 5, "cognito:username": "ana"}
    assert flatten_claims(claims) == {
        "cognito:groups": "investigator,supervisor",
        "exp": "5",
        "cognito:username": "ana",
    }


def test_proxy_event_carries_query_path_claims_and_source_ip():
    event = proxy_event(
        ONE_READ,
        "GET",
        "/v1/reads/01J",
        "plate=7ABC123&plate=8XYZ456&from=2026-01-01",
        {"content-type": "application/json"},
        b"",
        {"read_id": "01J"},
        {"cognito:username": "ana"},
        "127.0.0.1",
        "request-1",
    )
    assert event["queryStringParameters"] == {"plate": "8XYZ456", "from": "2026-01-01"}
    assert event["multiValueQueryStringParameters"]["plate"] == ["7ABC123", "8XYZ456"]
    assert event["pathParameters"] == {"read_id": "01J"}
    assert event["requestContext"]["authorizer"]["claims"] == {"cognito:username": "ana"}
    assert event["requestContext"]["identity"]["sourceIp"] == "127.0.0.1"
    assert event["requestContext"]["requestId"] == "request-1"
    assert event["body"] is None and event["isBase64Encoded"] is False


def test_routes_come_from_the_templates_methods_and_authorizers():
    # Given a template fragment shaped like CDK's RestApi output
    template = Template(
        resources={
            "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {}},
            "V1": {
                "Type": "AWS::ApiGateway::Resource",
                "Properties": {"ParentId": {"Fn::GetAtt": ["Api", "RootResourceId"]}, "PathPart": "v1"},
            },
            "Uploads": {
                "Type": "AWS::ApiGateway::Resource",
                "Properties": {"ParentId": {"Ref": "V1"}, "PathPart": "uploads"},
            },
            "Auth": {
                "Type": "AWS::ApiGateway::Authorizer",
                "Properties": {"ProviderARNs": [{"Fn::GetAtt": ["Pool", "Arn"]}]},
            },
            "UploadsPost": {
                "Type": "AWS::ApiGateway::Method",
                "Properties": {
                    "HttpMethod": "POST",
                    "ResourceId": {"Ref": "Uploads"},
                    "AuthorizationType": "COGNITO_USER_POOLS",
                    "AuthorizerId": {"Ref": "Auth"},
                    "Integration": {
                        "Uri": {
                            "Fn::Join": ["", ["arn:", {"Fn::GetAtt": ["UploadsFn", "Arn"]}, "/invocations"]]
                        }
                    },
                },
            },
            "Health": {
                "Type": "AWS::ApiGateway::Resource",
                "Properties": {"ParentId": {"Fn::GetAtt": ["Api", "RootResourceId"]}, "PathPart": "health"},
            },
            "HealthGet": {
                "Type": "AWS::ApiGateway::Method",
                "Properties": {
                    "HttpMethod": "GET",
                    "ResourceId": {"Ref": "Health"},
                    "AuthorizationType": "NONE",
                    "Integration": {"Uri": {"Fn::Join": ["", [{"Fn::GetAtt": ["ApiFn", "Arn"]}]]}},
                },
            },
        }
    )
    # When routes are read from it
    routes = routes_from_template(
        template, {"Pool": "us-east-1_pool"}, {"UploadsFn": "uploads-fn", "ApiFn": "api-fn"}
    )
    # Then each method is a route with its function and authorizer
    assert set(routes) == {
        Route("POST", "/v1/uploads", "uploads-fn", ("us-east-1_pool",)),
        Route("GET", "/health", "api-fn", ()),
    }


def test_stage_access_log_line_follows_the_templates_format():
    line_format = (
        '{"requestId":"$context.requestId","status":"$context.status","user":"$context.identity.user"}'
    )
    line = access_line(line_format, {"requestId": "r-1", "status": "401"})
    assert json.loads(line) == {"requestId": "r-1", "status": "401", "user": "-"}
