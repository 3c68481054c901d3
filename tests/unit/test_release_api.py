"""Where the email's links point: the API's own address, as API Gateway reports it."""

import pytest

from alpr.api.release import links_base_url
from alpr.domain.errors import InvalidRequest


def test_in_the_cloud_links_use_api_gateways_domain_and_stage():
    event = {
        "requestContext": {"domainName": "abcde12345.execute-api.us-west-2.amazonaws.com", "stage": "prod"},
        "headers": {"Host": "attacker.example"},  # a client-sent Host is not trusted when API Gateway says
    }
    assert links_base_url(event) == "https://abcde12345.execute-api.us-west-2.amazonaws.com/prod"


def test_on_the_local_stack_links_use_the_host_it_was_reached_at():
    event = {"requestContext": {"stage": "local"}, "headers": {"host": "127.0.0.1:8080"}}
    assert links_base_url(event) == "http://127.0.0.1:8080"


def test_without_either_there_is_no_address_to_link_to():
    with pytest.raises(InvalidRequest):
        links_base_url({"requestContext": {}, "headers": {}})
