"""Counting what a boto3 session asks of AWS: calls per service and operation, DynamoDB capacity
units by AWS's billing rules, S3 bytes written (and the CPU this counting takes).

moto answers ReturnConsumedCapacity with a constant, so units are worked out here from the items
themselves (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html):
a write is 1 unit per KB of the larger of the item before and after (2 in a transaction), plus,
per global secondary index the write changes, 1 unit per KB of the index's copy (its projected
attributes) written, and one more when the copy's key moved (the old copy is deleted); a read is
1 unit per 4 KB (half when eventually consistent, 2 in a transaction); a Query or Scan sums the
items it returns.
"""

from __future__ import annotations

import math
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

WRITE_UNIT_BYTES = 1024
READ_UNIT_BYTES = 4096


def attribute_value_size(value: dict[str, Any]) -> int:
    """Bytes of one DynamoDB attribute value (its wire form), by AWS's item-size rules."""
    (kind, data), *_ = value.items()
    if kind == "S":
        return len(str(data).encode())
    if kind == "B":
        return len(data)
    if kind == "N":
        digits = Decimal(str(data)).normalize().as_tuple().digits
        return math.ceil(len(digits) / 2) + 1
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode()) for s in data)
    if kind == "NS":
        return sum(attribute_value_size({"N": n}) for n in data)
    if kind == "BS":
        return sum(len(b) for b in data)
    if kind == "L":
        return 3 + sum(1 + attribute_value_size(v) for v in data)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + attribute_value_size(v) for k, v in data.items())
    raise ValueError(f"unknown DynamoDB type {kind}")


def item_size(item: dict[str, Any] | None) -> int:
    """Bytes of an item: its attribute names and values."""
    return sum(len(name.encode()) + attribute_value_size(v) for name, v in (item or {}).items())


@dataclass(frozen=True)
class Index:
    """A global secondary index: its key and what it copies of each item (`projected` None: all)."""

    keys: tuple[str, ...]
    projected: frozenset[str] | None

    @classmethod
    def described(cls, index: dict[str, Any], table_keys: list[str]) -> Index:
        keys = tuple(k["AttributeName"] for k in index["KeySchema"])
        projection = index.get("Projection", {})
        if projection.get("ProjectionType", "ALL") == "ALL":
            return cls(keys, None)
        return cls(keys, frozenset([*table_keys, *keys, *projection.get("NonKeyAttributes", [])]))

    def copy(self, item: dict[str, Any] | None) -> dict[str, Any] | None:
        """The index's copy of the item, None when the item is not in the index (a sparse key)."""
        if item is None or not all(k in item for k in self.keys):
            return None
        return item if self.projected is None else {k: v for k, v in item.items() if k in self.projected}

    def write_units(self, before: dict[str, Any] | None, after: dict[str, Any] | None) -> int:
        """What a table write costs in this index: nothing when its copy is unchanged."""
        old, new = self.copy(before), self.copy(after)
        if old == new:
            return 0
        if old is not None and new is not None and all(old[k] == new[k] for k in self.keys):
            return write_units(item_size(new))  # the copy rewritten in place
        # Put into or deleted from the index, or both when its key moved.
        return sum(write_units(item_size(copy)) for copy in (old, new) if copy is not None)


def write_units(size: int) -> int:
    return max(1, math.ceil(size / WRITE_UNIT_BYTES))


def read_units(size: int, consistent: bool) -> float:
    units = max(1, math.ceil(size / READ_UNIT_BYTES))
    return float(units) if consistent else units / 2


@dataclass
class Meter:
    """Register on a boto3 session (`meter.attach(session)`) before its clients are made; `peek` is
    an unmetered DynamoDB client of the same endpoint, to see items before and after a write."""

    peek: Any
    phase: str = "ingest"
    calls: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # (phase, service, op)
    wru: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))  # by phase
    rru: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    s3_put_bytes: Counter[str] = field(default_factory=Counter)
    # CPU this meter takes (looking at items before and after a write): not the caller's.
    overhead_s: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    _indexes: dict[str, list[Index]] = field(default_factory=dict)
    _keys: dict[str, list[str]] = field(default_factory=dict)
    _before: list[dict[str, Any]] = field(default_factory=list)

    def attach(self, session: Any) -> None:
        events = session.events
        events.register("provide-client-params.*.*", self._params)
        events.register("after-call.*.*", self._called)

    def _params(self, params: dict[str, Any], event_name: str, **_: Any) -> None:
        started = time.process_time()
        service, operation = event_name.split(".")[1:]
        before: dict[str, Any] = {"params": params}
        if service == "s3" and operation == "PutObject":
            # Now: botocore turns the body into a stream before sending it.
            body = params.get("Body", b"")
            before["bytes"] = len(body) if isinstance(body, bytes | bytearray) else 0
        if service == "dynamodb":
            before["items"] = [self._current(t, key) for t, key in self._written_keys(operation, params)]
        self._before.append(before)
        self.overhead_s[self.phase] += time.process_time() - started

    def _called(self, parsed: dict[str, Any], event_name: str, **_: Any) -> None:
        started = time.process_time()
        service, operation = event_name.split(".")[1:]
        before = self._before.pop() if self._before else {"params": {}, "items": []}
        params = before["params"]
        self.calls[(self.phase, service, operation)] += 1
        self.s3_put_bytes[self.phase] += before.get("bytes", 0)
        if service == "dynamodb":
            self._dynamodb_units(operation, params, parsed, before["items"])
        self.overhead_s[self.phase] += time.process_time() - started

    def _current(self, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
        item: dict[str, Any] | None = self.peek.get_item(TableName=table, Key=key).get("Item")
        return item

    def _describe(self, table: str) -> None:
        described = self.peek.describe_table(TableName=table)["Table"]
        self._keys[table] = [k["AttributeName"] for k in described["KeySchema"]]
        self._indexes[table] = [
            Index.described(index, self._keys[table]) for index in described.get("GlobalSecondaryIndexes", [])
        ]

    def indexes(self, table: str) -> list[Index]:
        if table not in self._indexes:
            self._describe(table)
        return self._indexes[table]

    def _key_of(self, table: str, item: dict[str, Any]) -> dict[str, Any]:
        if table not in self._keys:
            self._describe(table)
        return {k: item[k] for k in self._keys[table]}

    def _written_keys(self, operation: str, params: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        """(table, key) of each item a DynamoDB write call touches (a transaction's condition
        checks too: they are billed as writes)."""
        if operation in ("PutItem", "UpdateItem", "DeleteItem"):
            table = params["TableName"]
            return [(table, params.get("Key") or self._key_of(table, params["Item"]))]
        if operation == "TransactWriteItems":
            bodies = [next(iter(entry.values())) for entry in params["TransactItems"]]
            return [(b["TableName"], b.get("Key") or self._key_of(b["TableName"], b["Item"])) for b in bodies]
        if operation == "BatchWriteItem":
            return [
                (
                    table,
                    r["DeleteRequest"]["Key"]
                    if "DeleteRequest" in r
                    else self._key_of(table, r["PutRequest"]["Item"]),
                )
                for table, requests in params["RequestItems"].items()
                for r in requests
            ]
        return []

    def _write(self, table: str, key: dict[str, Any], before: dict[str, Any] | None, factor: int) -> None:
        after = self._current(table, key)
        units = write_units(max(item_size(before), item_size(after))) * factor
        units += sum(index.write_units(before, after) for index in self.indexes(table))
        self.wru[self.phase] += units

    def _dynamodb_units(
        self, operation: str, params: dict[str, Any], parsed: dict[str, Any], befores: list[Any]
    ) -> None:
        written = self._written_keys(operation, params)
        factor = 2 if operation == "TransactWriteItems" else 1
        for (table, key), before in zip(written, befores, strict=True):
            self._write(table, key, before, factor)
        consistent = bool(params.get("ConsistentRead"))
        if operation == "GetItem":
            self.rru[self.phase] += read_units(item_size(parsed.get("Item")), consistent)
        elif operation in ("Query", "Scan"):
            size = sum(item_size(i) for i in parsed.get("Items", []))
            self.rru[self.phase] += read_units(size, consistent)
        elif operation == "BatchGetItem":
            for items in parsed.get("Responses", {}).values():
                self.rru[self.phase] += sum(read_units(item_size(i), consistent) for i in items)
        elif operation == "TransactGetItems":
            for response in parsed.get("Responses", []):
                self.rru[self.phase] += 2 * read_units(item_size(response.get("Item")), True)

    def per(self, phase: str, count: int) -> dict[str, float]:
        """Calls per operation, and units, per `count` (images or searches) of a phase."""
        out = {f"{service}:{op}": n / count for (p, service, op), n in self.calls.items() if p == phase}
        return out | {"dynamodb_wru": self.wru[phase] / count, "dynamodb_rru": self.rru[phase] / count}
