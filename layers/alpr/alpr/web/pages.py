"""Rendering a page: Jinja2 with autoescape, and the headers every page carries."""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

# No script, no inline style, no framing; forms post only back to this origin.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; img-src 'self'; style-src 'none'; script-src 'none'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


def security_headers() -> dict[str, str]:
    return {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        # The decision link's token is in the URL: never send it on as a referrer.
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("alpr.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
    )


def render(template: str, **context: Any) -> str:
    """The page, every value HTML-escaped."""
    return _environment().get_template(template).render(**context)
