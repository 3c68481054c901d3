"""Where the email's links point: the configured base URL, never the request's Host header."""

import pytest

from alpr.names import Env
from alpr.services import release as release_service
from alpr.services.container import use


@pytest.fixture
def configured(monkeypatch):
    use(None)
    yield monkeypatch
    use(None)


def test_links_use_the_configured_base_url(configured):
    configured.setenv(Env.RELEASE_REQUESTS_TABLE.value, "t")
    configured.setenv(Env.WEB_BASE_URL.value, "https://alpr.example.gov/prod/")
    assert release_service.links_base_url() == "https://alpr.example.gov/prod"


def test_without_a_configured_base_url_no_link_is_made(configured):
    configured.setenv(Env.RELEASE_REQUESTS_TABLE.value, "t")
    configured.delenv(Env.WEB_BASE_URL.value, raising=False)
    with pytest.raises(RuntimeError, match=Env.WEB_BASE_URL.value):
        release_service.links_base_url()
