"""Read the synthesized CloudFormation template and resolve its intrinsic functions.

The local runtime creates every resource from this template, so the laptop and the
cloud cannot drift: names of indexes, keys, TTL attributes, queues, routes and
environment variables all come from what `cdk synth` wrote.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any

from alpr.names import STACK_NAME

PSEUDO_PARAMETERS = ("AWS::Region", "AWS::AccountId", "AWS::Partition", "AWS::URLSuffix", "AWS::StackName")


class TemplateError(RuntimeError):
    """The template is missing or uses something the local runtime cannot resolve."""


def template_path(cdk_out: Path, stack_name: str = STACK_NAME) -> Path:
    path = cdk_out / f"{stack_name}.template.json"
    if not path.exists():
        raise TemplateError(f"{path} not found: run `make synth` first")
    return path


@dataclass
class Template:
    resources: dict[str, dict[str, Any]]
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> Template:
        body = json.loads(path.read_text())
        return cls(resources=body.get("Resources", {}), outputs=body.get("Outputs", {}))

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {lid: res for lid, res in self.resources.items() if res["Type"] == resource_type}

    def creation_order(self) -> list[str]:
        """Logical ids ordered so that every resource comes after those it refers to."""
        graph = {lid: references(res) & self.resources.keys() for lid, res in self.resources.items()}
        for lid, res in self.resources.items():
            depends = res.get("DependsOn", [])
            graph[lid] |= set([depends] if isinstance(depends, str) else depends) & self.resources.keys()
        return list(TopologicalSorter(graph).static_order())


def references(node: Any) -> set[str]:
    """Logical ids that a template fragment refers to through Ref, GetAtt or Sub."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                found.add(value[0] if isinstance(value, list) else value.split(".")[0])
            elif key == "Fn::Sub":
                text = value[0] if isinstance(value, list) else value
                found |= {name.split(".")[0] for name in re.findall(r"\$\{([^!][^}]*)\}", text)}
                if isinstance(value, list):
                    found |= references(value[1])
            else:
                found |= references(value)
    elif isinstance(node, list):
        for item in node:
            found |= references(item)
    return found


@dataclass
class Resolver:
    """Resolves intrinsic functions against what has been created so far."""

    region: str
    account_id: str
    refs: dict[str, Any] = field(default_factory=dict)
    attributes: dict[tuple[str, str], Any] = field(default_factory=dict)

    def pseudo(self, name: str) -> str:
        return {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account_id,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": STACK_NAME,
        }[name]

    def ref(self, name: str) -> Any:
        if name in PSEUDO_PARAMETERS:
            return self.pseudo(name)
        if name not in self.refs:
            raise TemplateError(f"Ref to {name}, which the local runtime did not create")
        return self.refs[name]

    def get_att(self, logical_id: str, attribute: str) -> Any:
        key = (logical_id, attribute)
        if key not in self.attributes:
            raise TemplateError(f"Fn::GetAtt {logical_id}.{attribute} is not known locally")
        return self.attributes[key]

    def resolve(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self.resolve(item) for item in node]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, value),) = node.items()
            handler = self._intrinsics().get(key)
            if handler is not None:
                return handler(value)
        return {key: self.resolve(value) for key, value in node.items()}

    def _intrinsics(self) -> Mapping[str, Callable[[Any], Any]]:
        return {
            "Ref": self.ref,
            "Fn::GetAtt": lambda v: self.get_att(*(v if isinstance(v, list) else v.split(".", 1))),
            "Fn::Join": lambda v: v[0].join(str(self.resolve(part)) for part in v[1]),
            "Fn::Select": lambda v: self.resolve(v[1])[int(self.resolve(v[0]))],
            "Fn::Split": lambda v: str(self.resolve(v[1])).split(v[0]),
            "Fn::Sub": self._sub,
            "Fn::GetAZs": lambda v: [f"{self.region}a", f"{self.region}b"],
        }

    def _sub(self, value: Any) -> str:
        text, variables = (value[0], self.resolve(value[1])) if isinstance(value, list) else (value, {})

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(variables[name])
            if "." in name:
                return str(self.get_att(*name.split(".", 1)))
            return str(self.ref(name))

        return re.sub(r"\$\{([^!][^}]*)\}", replace, text)
