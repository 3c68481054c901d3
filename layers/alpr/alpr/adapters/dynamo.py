"""DynamoDB adapters: the Reads table (with the Plates dictionary kept in step)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from alpr.domain.holds import due_at
from alpr.domain.models import Correction, HoldEvent, LegalHold, Read, iso_utc, parse_iso_utc
from alpr.domain.paging import PageKey
from alpr.domain.plate_expiry import PlateEntry, PlateExpiry
from alpr.domain.plate_grams import grams_of
from alpr.domain.search import PlateSighting
from alpr.names import (
    HOLD_DUE,
    HOLD_ID,
    HOLD_STATE,
    HOLDS_BY_STATE_INDEX,
    PLATE,
    PLATE_GRAM,
    READ_ID,
    READS_BY_CORRECTED_PLATE_INDEX,
    READS_BY_PLATE_INDEX,
    READS_CELL7_DAY_KEY,
    READS_CORRECTED_PLATE,
    READS_TIME_KEY,
    TTL_ATTRIBUTE,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def _to_dynamo(value: Any) -> Any:
    # DynamoDB has no float type: numbers go as Decimal, from their shortest repr.
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {k: _to_dynamo(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_dynamo(v) for v in value]
    return value


def _from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_dynamo(v) for v in value]
    return value


def to_item(data: Mapping[str, Any]) -> dict[str, Any]:
    """A plain dict (floats allowed; None kept as NULL, so every field is there) as a DynamoDB item."""
    return {k: _serializer.serialize(v) for k, v in _to_dynamo(dict(data)).items()}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """A DynamoDB item as a plain dict (whole numbers as int, others as float)."""
    return {k: _from_dynamo(_deserializer.deserialize(v)) for k, v in item.items()}


def _is_condition_failure(error: ClientError) -> bool:
    code = error.response.get("Error", {}).get("Code", "")
    if code == "ConditionalCheckFailedException":
        return True
    if code == "TransactionCanceledException":
        reasons = error.response.get("CancellationReasons", [])
        return any(r.get("Code") == "ConditionalCheckFailed" for r in reasons)
    return False


def approximate_item_count(client: Callable[[], DynamoDBClient], table: str) -> int:
    """A table's item count as DynamoDB keeps it (refreshed about every six hours): no scan."""
    return int(client().describe_table(TableName=table)["Table"].get("ItemCount", 0))


def _read_item(read: Read) -> dict[str, Any]:
    data = read.model_dump(mode="json")
    # An index key may be absent (a sparse index) but never NULL: DynamoDB refuses the write.
    for sparse in (READS_CELL7_DAY_KEY, READS_CORRECTED_PLATE):
        if data.get(sparse) is None:
            data.pop(sparse, None)
    return data


def _sighting(entry: Mapping[str, Any]) -> PlateSighting:
    return PlateSighting(
        plate=str(entry[PLATE]),
        first_seen=str(entry["first_seen"]),
        last_seen=str(entry["last_seen"]),
        count=int(entry.get("count", 0)),
    )


def _register_items(read: Read, holds: list[LegalHold], history: list[HoldEvent]) -> list[dict[str, Any]]:
    """The register's entries a change of the read's holds writes: each hold in force as it is now
    (its state, and when it falls due), and each hold taken off as released or lapsed."""

    def entry(hold: LegalHold, state: str, **more: Any) -> dict[str, Any]:
        return {
            HOLD_ID: hold.hold_id,
            READ_ID: read.read_id,
            "case_number": hold.case_number,
            "placed_by": hold.placed_by,
            "organisation": hold.organisation,
            "placed_at": iso_utc(hold.placed_at),
            HOLD_STATE: state,
            **more,
        }

    items = [
        entry(hold, "pending" if hold.approved_by is None else "approved")
        | ({HOLD_DUE: iso_utc(due)} if (due := due_at(hold)) else {})
        for hold in holds
        if hold.hold_id
    ]
    in_force = {hold.hold_id for hold in holds}
    last = history[-1] if history else None
    for hold in read.legal_holds:
        if hold.hold_id and hold.hold_id not in in_force:
            ended = last if last is not None and last.hold_id == hold.hold_id else None
            state = ended.action if ended else "released"
            items.append(entry(hold, state, ended_at=iso_utc(ended.at) if ended else None))
    return items


@dataclass(frozen=True)
class _EntryChange:
    """One change a read may make to its plate's dictionary entry, made only when `wanted` holds.
    Each only widens (first and last seen) or lengthens (the expiry), so the changes commute and
    repeating one changes nothing."""

    assign: str  # the SET clause
    value: str  # the placeholder it assigns: ":t" (the read's time) or ":e" (its expiry)
    wanted: str  # when to make it, as a condition on the entry
    settled: str  # the negation of `wanted`
    needed: Callable[[Mapping[str, Any], Mapping[str, Any]], bool]  # `wanted` on an entry as read


_SEEN_CHANGES = (
    _EntryChange(
        "last_seen = :t",
        ":t",
        "(attribute_not_exists(last_seen) OR last_seen < :t)",
        "(attribute_exists(last_seen) AND last_seen >= :t)",
        lambda entry, values: "last_seen" not in entry or entry["last_seen"] < values[":t"],
    ),
    _EntryChange(
        "first_seen = :t",
        ":t",
        "(attribute_not_exists(first_seen) OR first_seen > :t)",
        "(attribute_exists(first_seen) AND first_seen <= :t)",
        lambda entry, values: "first_seen" not in entry or entry["first_seen"] > values[":t"],
    ),
)
# The entry expires with its newest read (`newest_expiry`), and has no TTL while any read of the
# plate is held (`held_reads`).
_EXPIRY_CHANGES = (
    _EntryChange(
        "newest_expiry = :e",
        ":e",
        "(attribute_not_exists(newest_expiry) OR newest_expiry < :e)",
        "(attribute_exists(newest_expiry) AND newest_expiry >= :e)",
        lambda entry, values: "newest_expiry" not in entry or entry["newest_expiry"] < values[":e"],
    ),
    _EntryChange(
        f"{TTL_ATTRIBUTE} = :e",
        ":e",
        f"(attribute_not_exists(held_reads) AND (attribute_not_exists({TTL_ATTRIBUTE}) OR {TTL_ATTRIBUTE} < :e))",
        f"(attribute_exists(held_reads) OR (attribute_exists({TTL_ATTRIBUTE}) AND {TTL_ATTRIBUTE} >= :e))",
        lambda entry, values: (
            "held_reads" not in entry and (TTL_ATTRIBUTE not in entry or entry[TTL_ATTRIBUTE] < values[":e"])
        ),
    ),
)


def _set(changes: Sequence[_EntryChange]) -> str:
    return "SET " + ", ".join(change.assign for change in changes) if changes else ""


def _failed_condition(error: ClientError, position: int) -> bool:
    """Whether a cancelled transaction's item at `position` failed its condition."""
    reasons = error.response.get("CancellationReasons", [])
    return len(reasons) > position and reasons[position].get("Code") == "ConditionalCheckFailed"


class DynamoReadStore:
    """Reads in the Reads table; each new read also counts in the Plates dictionary; the register of
    legal holds (Holds table) is kept in step with the reads' holds."""

    def __init__(
        self,
        reads_table: str,
        plates_table: str,
        client: Callable[[], DynamoDBClient],
        grams_table: str = "",
        holds_table: str = "",
    ) -> None:
        self.reads_table = reads_table
        self.plates_table = plates_table
        self.grams_table = grams_table  # the dictionary's trigram index; "" when not deployed
        self.holds_table = holds_table  # the register of holds; "" in functions that change no hold
        self._client = client

    def put_read(self, read: Read) -> bool:
        seen = iso_utc(read.captured_at)
        entry = self._plate_entry(read.plate)
        # A plate new to the dictionary is listed under its trigrams first (idempotent), so
        # the dictionary never holds a plate the partial-plate search cannot find.
        if self.grams_table and entry is None:
            self._index_grams(read.plate)
        values: dict[str, Any] = {":t": seen}
        changes: tuple[_EntryChange, ...] = _SEEN_CHANGES
        if read.expires_at is not None:
            values[":e"] = read.expires_at
            changes += _EXPIRY_CHANGES
        # One transaction: the read is written only if new, and the plate's count moves with
        # it, so a redelivered upload neither duplicates the read nor counts it twice. The changes
        # the entry as read needs ride along, on the condition that each change is still wanted
        # or not as it was read: they are then exactly what the changes one at a time below would
        # make. An entry changed meanwhile costs those separate updates, never a wrong entry.
        needed = [change for change in changes if change.needed(entry or {}, values)]
        try:
            self._store_read(
                read,
                " ".join(filter(None, (_set(needed), "ADD #count :one"))),
                " AND ".join(change.wanted if change in needed else change.settled for change in changes),
                values,
            )
            return True
        except ClientError as error:
            if _failed_condition(error, 0):
                new = False  # stored before; a failure after that store may have cut what follows short
            elif _failed_condition(error, 1):
                new = self._store_counted(read, seen)  # the entry changed since it was read
            else:
                raise
        # Uploads arrive out of order (a unit's outbox drains late): each change is made only when
        # this read lies outside what the entry has. Idempotent, so a redelivery finishes them too.
        for change in changes:
            self._change_entry(read.plate, change, values[change.value])
        return new

    def _store_read(
        self, read: Read, plate_update: str, plate_condition: str | None, values: dict[str, Any]
    ) -> None:
        """The read (if new) and its plate's entry, in one transaction."""
        update: Any = {
            "TableName": self.plates_table,
            "Key": to_item({PLATE: read.plate}),
            "UpdateExpression": plate_update,
            "ExpressionAttributeNames": {"#count": "count"},
            "ExpressionAttributeValues": to_item(values | {":one": 1}),
        }
        if plate_condition:
            update["ConditionExpression"] = plate_condition
        self._client().transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": self.reads_table,
                        "Item": to_item(_read_item(read)),
                        "ConditionExpression": "attribute_not_exists(read_id)",
                    }
                },
                {"Update": update},
            ]
        )

    def _store_counted(self, read: Read, seen: str) -> bool:
        """The read (if new) and its plate's count, whatever the entry holds; False when stored before."""
        try:
            self._store_read(
                read,
                "SET first_seen = if_not_exists(first_seen, :t), last_seen = if_not_exists(last_seen, :t) "
                "ADD #count :one",
                None,
                {":t": seen},
            )
        except ClientError as error:
            if not _is_condition_failure(error):
                raise
            return False
        return True

    def _change_entry(
        self, plate: str, change: _EntryChange, value: Any, *, existing_only: bool = False
    ) -> None:
        """Make one change of a plate's entry if it is wanted. `existing_only`: never create the entry
        (the backfill, which finds entries that may go)."""
        exists = "attribute_exists(#plate) AND " if existing_only else ""
        names = {"ExpressionAttributeNames": {"#plate": PLATE}} if existing_only else {}
        try:
            self._client().update_item(
                TableName=self.plates_table,
                Key=to_item({PLATE: plate}),
                UpdateExpression=_set([change]),
                ConditionExpression=exists + change.wanted,
                ExpressionAttributeValues=to_item({change.value: value}),
                **names,  # type: ignore[arg-type]
            )
        except ClientError as error:
            if not _is_condition_failure(error):
                raise

    # --- the one-off backfill of the dictionary's expiry (alpr admin backfill-plate-expiry) -----

    def plate_entries_page(
        self, start: dict[str, Any] | None, limit: int
    ) -> tuple[list[PlateEntry], dict[str, Any] | None]:
        """One page of the Plates dictionary with each entry's expiry as stored (a scan: the backfill
        reads the whole table once)."""
        request: dict[str, Any] = {
            "TableName": self.plates_table,
            "Limit": limit,
            "ProjectionExpression": "#plate, last_seen, newest_expiry, #ttl, held_reads",
            "ExpressionAttributeNames": {"#plate": PLATE, "#ttl": TTL_ATTRIBUTE},
        }
        if start:
            request["ExclusiveStartKey"] = start
        response = self._client().scan(**request)
        entries = [
            PlateEntry(
                plate=data[PLATE],
                last_seen=parse_iso_utc(data["last_seen"]),
                newest_expiry=data.get("newest_expiry"),
                ttl=data.get(TTL_ATTRIBUTE),
                held_reads=frozenset(data.get("held_reads", ())),
            )
            for data in (from_item(item) for item in response.get("Items", []))
            if "last_seen" in data
        ]
        return entries, response.get("LastEvaluatedKey")

    def reads_of_plate(self, plate: str) -> list[Read]:
        """Every read of the plate still kept (all pages of the by-plate index)."""
        reads: list[Read] = []
        start: PageKey | None = None
        while True:
            page, start = self.query_by_plate(plate, "0", "9", 500, start)
            reads.extend(page)
            if start is None:
                return reads

    def set_plate_expiry(self, expiry: PlateExpiry) -> None:
        """Give an entry its expiry as new reads keep it: the held reads first (no TTL), then the
        newest expiry and, if nothing is held, the TTL. Each step only lengthens or adds (idempotent),
        and none creates an entry that has gone meanwhile."""
        if expiry.held_reads:
            try:
                self._client().update_item(
                    TableName=self.plates_table,
                    Key=to_item({PLATE: expiry.plate}),
                    UpdateExpression=f"ADD held_reads :ids REMOVE {TTL_ATTRIBUTE}",
                    ConditionExpression="attribute_exists(#plate)",
                    ExpressionAttributeNames={"#plate": PLATE},
                    ExpressionAttributeValues=to_item({":ids": set(expiry.held_reads)}),
                )
            except ClientError as error:
                if _is_condition_failure(error):
                    return
                raise
        for change in _EXPIRY_CHANGES:
            self._change_entry(expiry.plate, change, expiry.newest_expiry, existing_only=True)

    def prune_grams(self, plate: str) -> bool:
        """Take an expired plate out of its trigrams' lists and delete the trigrams left empty;
        False (and no change) when the plate is in the dictionary again (read since)."""
        if not self.grams_table:
            return False
        gone: Any = {
            "ConditionCheck": {
                "TableName": self.plates_table,
                "Key": to_item({PLATE: plate}),
                "ConditionExpression": "attribute_not_exists(#plate)",
                "ExpressionAttributeNames": {"#plate": PLATE},
            }
        }
        grams = sorted(grams_of(plate))
        updates: list[Any] = [
            {
                "Update": {
                    "TableName": self.grams_table,
                    "Key": to_item({PLATE_GRAM: gram}),
                    "UpdateExpression": "DELETE #plates :plate",
                    "ExpressionAttributeNames": {"#plates": "plates"},
                    "ExpressionAttributeValues": to_item({":plate": {plate}}),
                }
            }
            for gram in grams
        ]
        try:
            self._client().transact_write_items(TransactItems=[gone, *updates])
        except ClientError as error:
            if _is_condition_failure(error):
                return False
            raise
        for gram in grams:  # a trigram no plate has any more goes too (unless one was added since)
            try:
                self._client().delete_item(
                    TableName=self.grams_table,
                    Key=to_item({PLATE_GRAM: gram}),
                    ConditionExpression="attribute_not_exists(#plates)",
                    ExpressionAttributeNames={"#plates": "plates"},
                )
            except ClientError as error:
                if not _is_condition_failure(error):
                    raise
        return True

    def _plate_entry(self, plate: str) -> dict[str, Any] | None:
        """What the plate's dictionary entry holds that a new read may change; None when it has none."""
        response = self._client().get_item(
            TableName=self.plates_table,
            Key=to_item({PLATE: plate}),
            ProjectionExpression=f"#plate, first_seen, last_seen, newest_expiry, {TTL_ATTRIBUTE}, held_reads",
            ExpressionAttributeNames={"#plate": PLATE},
        )
        item = response.get("Item")
        return from_item(item) if item else None

    def _index_grams(self, plate: str) -> None:
        for gram in sorted(grams_of(plate)):
            self._client().update_item(
                TableName=self.grams_table,
                Key=to_item({PLATE_GRAM: gram}),
                UpdateExpression="ADD #plates :plate",
                ExpressionAttributeNames={"#plates": "plates"},
                ExpressionAttributeValues=to_item({":plate": {plate}}),
            )

    def query_by_plate(
        self, plate: str, low: str, high: str, limit: int, start: PageKey | None
    ) -> tuple[list[Read], PageKey | None]:
        return self.query_index(READS_BY_PLATE_INDEX, PLATE, plate, low, high, limit, start)

    def query_by_corrected_plate(
        self, plate: str, low: str, high: str, limit: int, start: PageKey | None
    ) -> tuple[list[Read], PageKey | None]:
        """Reads a supervisor corrected to `plate` (the sparse corrections index)."""
        return self.query_index(
            READS_BY_CORRECTED_PLATE_INDEX, READS_CORRECTED_PLATE, plate, low, high, limit, start
        )

    def add_correction(self, read_id: str, correction: Correction) -> Read | None:
        """Append a correction to the read's history and index its plate; None when there is no read."""
        try:
            response = self._client().update_item(
                TableName=self.reads_table,
                Key=to_item({READ_ID: read_id}),
                UpdateExpression="SET corrections = list_append(if_not_exists(corrections, :none), :new), "
                "#corrected = :plate",
                ConditionExpression="attribute_exists(#id)",
                ExpressionAttributeNames={"#id": READ_ID, "#corrected": READS_CORRECTED_PLATE},
                ExpressionAttributeValues=to_item(
                    {":none": [], ":new": [correction.model_dump(mode="json")], ":plate": correction.plate}
                ),
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if _is_condition_failure(error):
                return None
            raise
        return Read.model_validate(from_item(response["Attributes"]))

    # --- searches (issue 5): the SearchStore port -------------------------------------------

    def query_index(
        self, index: str, attribute: str, key: str, low: str, high: str, limit: int, start: PageKey | None
    ) -> tuple[list[Read], PageKey | None]:
        """One page of an index partition, newest first, within the time-key range."""
        request: dict[str, Any] = {
            "TableName": self.reads_table,
            "IndexName": index,
            "KeyConditionExpression": "#pk = :key AND #tk BETWEEN :low AND :high",
            "ExpressionAttributeNames": {"#pk": attribute, "#tk": READS_TIME_KEY},
            "ExpressionAttributeValues": to_item({":key": key, ":low": low, ":high": high}),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if start:
            request["ExclusiveStartKey"] = to_item(start)
        response = self._client().query(**request)
        # The indexes keep keys only (docs/decisions.md): the reads themselves come from the table.
        ids = [str(from_item(item)[READ_ID]) for item in response.get("Items", [])]
        found = {item[READ_ID]: item for item in self._batch_get(self.reads_table, READ_ID, ids)}
        # In index order; a read the table no longer has (TTL deleted it since) is left out.
        reads = [Read.model_validate(found[read_id]) for read_id in ids if read_id in found]
        last = response.get("LastEvaluatedKey")
        return reads, ({k: str(v) for k, v in from_item(last).items()} if last else None)

    def plate_sightings(self, seen_from: str, seen_to: str, contains: str | None) -> list[PlateSighting]:
        """The Plates dictionary entries seen in the window (a filtered scan of the small table)."""
        condition = "last_seen >= :from AND first_seen <= :to"
        values: dict[str, Any] = {":from": seen_from, ":to": seen_to}
        if contains:
            condition += " AND contains(#plate, :run)"
            values[":run"] = contains
        request: dict[str, Any] = {
            "TableName": self.plates_table,
            "ProjectionExpression": "#plate, first_seen, last_seen, #count",
            "FilterExpression": condition,
            "ExpressionAttributeNames": {"#plate": PLATE, "#count": "count"},
            "ExpressionAttributeValues": to_item(values),
        }
        sightings: list[PlateSighting] = []
        while True:
            response = self._client().scan(**request)
            sightings.extend(_sighting(from_item(item)) for item in response.get("Items", []))
            last = response.get("LastEvaluatedKey")
            if not last:
                return sightings
            request["ExclusiveStartKey"] = last

    def _batch_get(
        self,
        table: str,
        key_name: str,
        keys: list[str],
        projection: str | None = None,
        names: dict[str, str] | None = None,
    ) -> list[dict[str, Any]]:
        """Items of a table by key (whole, or only `projection`), 100 keys a request, unprocessed
        keys retried."""
        items: list[dict[str, Any]] = []
        for offset in range(0, len(keys), 100):
            request: dict[str, Any] = {
                table: {"Keys": [to_item({key_name: key}) for key in keys[offset : offset + 100]]}
                | (
                    {"ProjectionExpression": projection, "ExpressionAttributeNames": names}
                    if projection
                    else {}
                )
            }
            while request:
                response = self._client().batch_get_item(RequestItems=request)
                items.extend(from_item(item) for item in response.get("Responses", {}).get(table, []))
                request = response.get("UnprocessedKeys") or {}
        return items

    def plates_with_grams(self, grams: set[str]) -> set[str] | None:
        """Plates whose folded form contains every trigram; None when the index is not deployed."""
        if not self.grams_table:
            return None
        found = self._batch_get(
            self.grams_table,
            PLATE_GRAM,
            sorted(grams),
            "#gram, #plates",
            {"#gram": PLATE_GRAM, "#plates": "plates"},
        )
        if len(found) < len(grams):
            return set()  # a trigram no plate has
        return set.intersection(*(set(item.get("plates", ())) for item in found))

    def plate_entries(self, plates: Sequence[str]) -> list[PlateSighting]:
        """The dictionary entries of these plates."""
        items = self._batch_get(
            self.plates_table,
            PLATE,
            list(plates),
            "#plate, first_seen, last_seen, #count",
            {"#plate": PLATE, "#count": "count"},
        )
        return [_sighting(item) for item in items if "first_seen" in item]

    def save_holds(
        self,
        read: Read,
        holds: list[LegalHold],
        history: list[HoldEvent],
        expires: int | None,
        versions: dict[str, str],
    ) -> bool:
        """A read's legal holds, their history, its expiry (REMOVEd while held: no TTL) and the
        object versions under legal hold, written only if the history is still as `read` has it:
        each change appends one event."""
        values: dict[str, Any] = {
            ":holds": [h.model_dump(mode="json") for h in holds],
            ":history": [e.model_dump(mode="json") for e in history],
            ":versions": versions,
            ":seen": len(read.hold_history),
        }
        update = "SET legal_holds = :holds, hold_history = :history, held_versions = :versions"
        if expires is None:
            update += " REMOVE expires_at"
        else:
            update += ", expires_at = :expires"
            values[":expires"] = expires
        # Reads stored before holds existed have no hold_history attribute at all.
        never_held = "attribute_not_exists(hold_history) OR " if not read.hold_history else ""
        unchanged = f"attribute_exists(read_id) AND ({never_held}size(hold_history) = :seen)"
        # The plate's dictionary entry is kept while any read of it is held (no TTL), in the same
        # transaction as the read, so the dictionary never expires a plate whose read is kept.
        plate_update = (
            f"ADD held_reads :rid REMOVE {TTL_ATTRIBUTE}"
            if expires is None
            else "DELETE held_reads :rid SET newest_expiry = if_not_exists(newest_expiry, :e)"
        )
        plate_values: dict[str, Any] = {":rid": {read.read_id}} | (
            {":e": expires} if expires is not None else {}
        )
        register: list[Any] = (
            [
                {"Put": {"TableName": self.holds_table, "Item": to_item(entry)}}
                for entry in _register_items(read, holds, history)
            ]
            if self.holds_table
            else []
        )
        try:
            self._client().transact_write_items(
                TransactItems=[
                    *register,
                    {
                        "Update": {
                            "TableName": self.reads_table,
                            "Key": to_item({READ_ID: read.read_id}),
                            "UpdateExpression": update,
                            "ConditionExpression": unchanged,
                            "ExpressionAttributeValues": to_item(values),
                        }
                    },
                    {
                        "Update": {
                            "TableName": self.plates_table,
                            "Key": to_item({PLATE: read.plate}),
                            "UpdateExpression": plate_update,
                            "ExpressionAttributeValues": to_item(plate_values),
                        }
                    },
                ]
            )
        except ClientError as error:
            if _is_condition_failure(error):
                return False
            raise
        if expires is not None:
            self._restore_expiry(read.plate)
        return True

    def _restore_expiry(self, plate: str) -> None:
        """Once no read of the plate is held, its entry expires with its newest read again."""
        try:
            self._client().update_item(
                TableName=self.plates_table,
                Key=to_item({PLATE: plate}),
                UpdateExpression=f"SET {TTL_ATTRIBUTE} = newest_expiry",
                ConditionExpression="attribute_not_exists(held_reads) AND attribute_exists(newest_expiry)",
            )
        except ClientError as error:
            if not _is_condition_failure(error):
                raise

    # --- the register of holds: the HoldRegister port -----------------------------------------

    def find_hold(self, hold_id: str) -> str | None:
        """The read a hold is on (held now or once), or None."""
        response = self._client().get_item(
            TableName=self.holds_table,
            Key=to_item({HOLD_ID: hold_id}),
            ProjectionExpression="#read",
            ExpressionAttributeNames={"#read": READ_ID},
        )
        item = response.get("Item")
        return str(from_item(item)[READ_ID]) if item else None

    def due_holds(self, now: datetime) -> list[str]:
        """Holds pending past their approval deadline, or approved past their review date."""
        due: list[str] = []
        for state in ("pending", "approved"):
            request: dict[str, Any] = {
                "TableName": self.holds_table,
                "IndexName": HOLDS_BY_STATE_INDEX,
                "KeyConditionExpression": "#state = :state AND #due <= :now",
                "ExpressionAttributeNames": {"#state": HOLD_STATE, "#due": HOLD_DUE},
                "ExpressionAttributeValues": to_item({":state": state, ":now": iso_utc(now)}),
            }
            while True:
                response = self._client().query(**request)
                due.extend(str(from_item(item)[HOLD_ID]) for item in response.get("Items", []))
                if not response.get("LastEvaluatedKey"):
                    break
                request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return due

    def get_read(self, read_id: str) -> Read | None:
        """One read by id, or None."""
        response = self._client().get_item(TableName=self.reads_table, Key=to_item({READ_ID: read_id}))
        item = response.get("Item")
        return Read.model_validate(from_item(item)) if item else None
