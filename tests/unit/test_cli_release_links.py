"""The CLI sends the commander's token only to the API it signs in to (issue 20)."""

import pytest

from alpr.cli.release import ForeignLink, confirmation_page, decide, require_same_origin
from alpr.client.http import AlprClient

API = "http://127.0.0.1:8080"
LINK = "/v1/release-requests/01JD0000000000000000000000/decision?link=01JD.approve.1.n.mac"


@pytest.mark.parametrize(
    "link",
    [
        "http://evil.example:8080" + LINK,  # another host
        "http://127.0.0.1:9999" + LINK,  # another port
        "https://127.0.0.1:8080" + LINK,  # another scheme
        "http://127.0.0.1:8080@evil.example" + LINK,  # userinfo trick: the host is evil.example
        "http://127.0.0.1:8080/elsewhere" + LINK,  # not under the API's /v1/
    ],
)
def test_the_cli_refuses_to_send_a_token_to_a_link_off_its_api(link):
    client = AlprClient(API, "secret-token")
    with pytest.raises(ForeignLink, match="token is not sent"):
        confirmation_page(client, link)  # raised before any request (sockets are off in unit tests)
    with pytest.raises(ForeignLink):
        decide(client, link)


def test_a_link_on_the_api_itself_is_accepted():
    require_same_origin(AlprClient(API, "t"), API + LINK)
    require_same_origin(AlprClient("https://a.example/prod", "t"), "https://a.example:443/prod" + LINK)
