"""The usage and privacy policy the public reads (`GET /v1/policy`), written from the settings the
system enforces, so the posted policy and the software cannot disagree.

Civil Code § 1798.90.51(b) (and .53(b); policy 439.3.1(g)) asks for a posted policy stating the
authorized purposes, who may access and their training, how the system is monitored, sharing,
the custodian, accuracy and the correction of errors, and retention and destruction. Each section
below answers one of those, with the figures the gate, retention and release rules apply.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pydantic import BaseModel, Field

from alpr.domain.access import ROLE_ACTIONS, AccessPolicy
from alpr.domain.holds import APPROVAL_DAYS, DEFAULT_HOLD_REVIEW_DAYS
from alpr.domain.models import UtcDatetime
from alpr.domain.release import ReleaseStatus
from alpr.domain.retention import Retention
from alpr.names import Group

# Policy 439.3: the custodian of the system and its data.
CUSTODIAN = "Administrative Services Division Commander"


class Administration(BaseModel):
    """The ALPR administrator and the current designee overseeing the ALPR operation, by title and
    name (policy 439.3, 439.3.1(e)): configuration, shown in the posted policy."""

    administrator_title: str = CUSTODIAN
    administrator_name: str = ""
    designee_title: str = ""
    designee_name: str = ""
    # Their usernames (not posted): the configured account approvers (`alpr.domain.account_proposals`).
    administrator_username: str = ""
    designee_username: str = ""

    @property
    def account_approvers(self) -> frozenset[str]:
        return frozenset(name for name in (self.administrator_username, self.designee_username) if name)

    def text(self) -> str:
        administrator = f"the {self.administrator_title}" + (
            f", {self.administrator_name}" if self.administrator_name else ""
        )
        if self.designee_title or self.designee_name:
            designee = ", ".join(part for part in (self.designee_title, self.designee_name) if part)
            oversight = f"The current designee overseeing the ALPR operation is {designee}."
        else:
            oversight = (
                "No designee is named at present: the administrator oversees the ALPR operation directly."
            )
        return (
            f"The ALPR system, its data, its retention and access are administered by {administrator}. "
            + oversight
        )


# Who each role is in the department's words (the job titles § 1798.90.51(b)(2) asks for).
ROLE_TITLES: dict[Group, str] = {
    Group.INVESTIGATOR: "sworn officers and detectives",
    Group.SUPERVISOR: "sergeants and supervisors",
    Group.COMMANDER: "the Administrative Services Division Commander and designee",
    Group.AUDITOR: "auditors",
    Group.ADMINISTRATOR: "the system administrator (accounts only, no ALPR data)",
    Group.RECORDS: "records staff (filing release requests only)",
    Group.UNIT: "vehicle-mounted and fixed cameras (upload only)",
}


class PolicySection(BaseModel):
    title: str
    statute: str
    text: str


class PublicPolicy(BaseModel):
    """The ALPR usage and privacy policy, section by section."""

    title: str
    sections: list[PolicySection]


def _listed(items: Iterable[str]) -> str:
    return ", ".join(items)


def usage_and_privacy_policy(
    *,
    retention_days: int,
    access: AccessPolicy,
    refused_hotlist_categories: Iterable[str],
    administration: Administration | None = None,
    hold_review_days: int = DEFAULT_HOLD_REVIEW_DAYS,
) -> PublicPolicy:
    """The policy as the system is configured now."""
    purpose = access.purpose
    standing = access.standing
    retention = Retention(days=retention_days)
    kept_until = (
        f"the same calendar date {retention.years} year{'s' if retention.years != 1 else ''} after capture"
        + (f", plus {retention.extra_days} days" if retention.extra_days else "")
    )
    roles = "; ".join(
        f"{ROLE_TITLES[group]} ({group.value}): {_listed(sorted(a.value for a in ROLE_ACTIONS[group]))}"
        for group in Group
    )
    refused = sorted(refused_hotlist_categories)
    sections = [
        PolicySection(
            title="Authorized purposes",
            statute="Civil Code § 1798.90.51(b)(1); policy 439.3, 439.4",
            text="ALPR data is collected and used only for official law-enforcement purposes: identifying "
            "stolen or wanted vehicles, stolen plates and missing persons, and investigating crimes. Every "
            f"search states one of these categories: {_listed(purpose.categories)}, with a case or incident "
            f"number (format {purpose.case_number_example}) and words of explanation; vague reasons are "
            "refused."
            + (
                f" Hotlist categories California law forbids acting on are refused: {_listed(refused)}."
                if refused
                else ""
            ),
        ),
        PolicySection(
            title="Who may access the system, and their training",
            statute="Civil Code § 1798.90.51(b)(2); policy 439.3.1(a)-(b), 439.8",
            text=f"Access by role: {roles}. No one uses the system without department-approved training "
            f"on record; training must be refreshed every {standing.refresher_days} days, and an account "
            f"unused for {standing.inactivity_days} days is suspended until a supervisor reactivates it. "
            "Accounts of members who leave are deactivated at once. State and federal hotlist details "
            "(CLETS/NCIC: NIC, ORI, case number, the entry's text) are shown only to members whose record "
            "carries a dated CLETS authorisation (policy 439.4(e)); others see that a hit exists and its "
            "category.",
        ),
        PolicySection(
            title="Monitoring, security and audits",
            statute="Civil Code § 1798.90.51(b)(3), § 1798.90.52; policy 439.6",
            text="Every access is recorded before any data is returned: who, their organization, when, "
            "the plate or other data used to query, and the purpose and case; if the record cannot be "
            "written, no data is returned. The access log is append-only (write once, kept for the "
            f"retention period of {retention.period}) and audited on a regular basis with written "
            "queries; administrative and data events are also recorded by AWS CloudTrail. A hotlist "
            "notification carries only the alert's number, its category and a link to it (the alert is "
            "read signed in, and logged), and every notification is recorded with its recipients. Data is "
            "encrypted at rest and in transit, and every sign-in requires a password and a second factor.",
        ),
        PolicySection(
            title="Sharing",
            statute="Civil Code § 1798.90.51(b)(4), § 1798.90.55(b); policy 439.7",
            text="ALPR data is never sold. It is shared only with California public law-enforcement or "
            "prosecutorial agencies, on a written request naming the agency, the person requesting and "
            "the intended purpose, approved by the Commander or designee; the request, the decision and "
            "exactly what was released are kept on file. Requests from other agencies go through the "
            "Records Maintenance and Release Policy.",
        ),
        PolicySection(
            title="Custodian",
            statute="Civil Code § 1798.90.51(b)(5); policy 439.3",
            text=f"The {CUSTODIAN} is responsible for the system, its data, its retention and access.",
        ),
        PolicySection(
            title="ALPR administrator and the current designee",
            statute="Civil Code § 1798.90.51(b); policy 439.3, 439.3.1(e)",
            text=(administration or Administration()).text(),
        ),
        PolicySection(
            title="Accuracy and correcting errors",
            statute="Civil Code § 1798.90.51(b)(6); policy 439.4(f)",
            text="A read is not an identification. Each read keeps its image, the confidence of every "
            "character and the version of the software that made it; uncertain reads are marked and never "
            "count as an exact hotlist hit. A hit is confirmed through CLETS before any enforcement action, "
            "and every alert is closed with its outcome (confirmed, wrong state, misread, dismissed), so "
            "misreads are recorded and measured. Hotlists carry their source and age, and stale lists are "
            "flagged.",
        ),
        PolicySection(
            title="Retention and destruction",
            statute="Civil Code § 1798.90.51(b)(7); Gov. Code § 34090.6; policy 439.5",
            text=f"Reads and their images are kept until {kept_until} (a calendar year, Gov. Code "
            f"§ 34090.6: a read of 1 March is kept until 1 March) and then destroyed automatically. The index of plates used to search partial plates forgets a plate with the plate's newest read. Images waiting in a vehicle unit are encrypted, and deleted from the vehicle once stored. Data that is or may become evidence is kept under a legal hold for its case, "
            "or exported and booked into evidence, until the hold is released. A hold is approved by a "
            f"supervisor other than the member who placed it within {APPROVAL_DAYS} days, and renewed by "
            f"that member every {hold_review_days} days (its review date); a hold not approved or not "
            "renewed in time lapses, the lapse is recorded, and the data returns to its retention "
            "schedule (destroyed at the next sweep if its retention has passed). Data past its retention "
            "that only a hold keeps is shown only to members working that hold's case, and to the "
            "evidence export.",
        ),
    ]
    return PublicPolicy(
        title="Automated License Plate Reader (ALPR) usage and privacy policy", sections=sections
    )


class TransparencyReport(BaseModel):
    """Aggregate figures the public may see (`GET /v1/transparency`): how much is kept, how many
    hotlist alerts, and what became of other agencies' requests for data. No plate, person or case."""

    as_of: UtcDatetime
    retention_days: int
    reads_stored: int = Field(
        description="reads kept now (DynamoDB's count, refreshed about every six hours)"
    )
    alerts_stored: int = Field(description="hotlist alerts kept now (same source)")
    release_requests: dict[str, int] = Field(
        description="requests from other agencies for ALPR data, by outcome (every status, zero included)"
    )
    note: str = (
        "Reads and alerts are destroyed at the end of their retention unless a legal hold keeps them; "
        "ALPR data is shared only with California public law-enforcement or prosecutorial agencies."
    )


def transparency_report(
    *, now: datetime, retention_days: int, reads: int, alerts: int, requests: Iterable[ReleaseStatus]
) -> TransparencyReport:
    """The figures, with every release outcome listed (a zero says as much as a count)."""
    counts = dict.fromkeys(ReleaseStatus, 0)
    for status in requests:
        counts[status] += 1
    return TransparencyReport(
        as_of=now,
        retention_days=retention_days,
        reads_stored=reads,
        alerts_stored=alerts,
        release_requests={status.value: count for status, count in counts.items()},
    )
