"""An HTTP client that uses the pages as a browser does: it follows redirects, keeps cookies,
and fills in and submits forms. For `make demo` (a real browser drives the e2e tests)."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin

import requests


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.title = ""
        self.forms: list[Form] = []
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "title":
            self._in_title = True
        elif tag == "form":
            self.forms.append(Form(values.get("action", ""), values.get("method", "get").lower()))
        elif tag in ("input", "textarea") and self.forms and values.get("name"):
            self.forms[-1].fields[values["name"]] = values.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


@dataclass
class Page:
    url: str
    status: int
    title: str
    forms: list[Form]
    text: str


class PageClient:
    def __init__(self, timeout_s: float = 30.0) -> None:
        self.session = requests.Session()
        self.timeout_s = timeout_s

    def _page(self, response: requests.Response) -> Page:
        parser = _PageParser()
        parser.feed(response.text)
        return Page(response.url, response.status_code, parser.title.strip(), parser.forms, response.text)

    def open(self, url: str) -> Page:
        """GET `url`, following redirects as a browser does."""
        return self._page(self.session.get(url, timeout=self.timeout_s))

    def submit(self, page: Page, values: dict[str, str] | None = None, index: int = 0) -> Page:
        """Submit the page's form (hidden fields included) with `values` filled in."""
        form = page.forms[index]
        target = urljoin(page.url, form.action or page.url)
        data = {**form.fields, **(values or {})}
        if form.method == "post":
            return self._page(self.session.post(target, data=data, timeout=self.timeout_s))
        return self._page(self.session.get(target, params=data, timeout=self.timeout_s))
