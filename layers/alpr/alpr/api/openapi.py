"""The investigator API's OpenAPI document, as `make openapi` pins it in docs/openapi.json.

python -m alpr.api.openapi > docs/openapi.json
"""

from __future__ import annotations

import json

from alpr.api import investigator_api


def document() -> str:
    """The document with the default configuration (the purposes it lists are the defaults)."""
    return (
        json.dumps(
            investigator_api().get_openapi_schema().model_dump(mode="json", by_alias=True, exclude_none=True),
            indent=2,
            sort_keys=True,
        )
        + "\n"
    )


if __name__ == "__main__":
    print(document(), end="")
