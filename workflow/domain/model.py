"""The complaint as the domain sees it: a plain object the shared machine acts on."""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime

from states.calendar import SHANGHAI
from states.catalogue import CUSTOMER_SERVICE
from states.process import Role, State
from workflow.domain.effects import ComplaintEffects


@dataclass(eq=False)
class Complaint(ComplaintEffects):
    """One complaint; field names are the `complaints` table's columns."""

    id: int | None
    state: State
    version: int
    mobile: str
    channel: str
    source: str
    cause: str
    text: str
    routed_department: str
    department: str
    originating_department: str
    policy_version: int      # the policy version it is pinned to (`policy_versions.id`)
    created_by: str
    created_at: datetime
    updated_at: datetime
    customer_name: str = ""
    complainant_count: int = 1
    district: str = ""          # a `states.catalogue.DISTRICTS` code, or "" when not known
    location: str = ""          # street, estate, building: free text
    media: bool = False
    leadership: bool = False
    serious_deficiency: bool = False
    escalation_level: int = 0
    major_reasons: list = field(default_factory=list)
    repeat_of_id: int | None = None
    repeat_count: int = 0
    reopen_count: int = 0
    cycle: int = 1
    satisfaction: str | None = None
    paused_at: datetime | None = None
    pause_count: int = 0
    paused_seconds: int = 0
    handler_user: str | None = None     # the handler of record (接单人), a username
    idempotency_key: str | None = None
    request_hash: str | None = None

    @classmethod
    def from_row(cls, row) -> "Complaint":
        """Build from a `complaints` row mapping."""
        values = {k: row[k] for k in _FIELDS if k in row}
        values["state"] = State(values["state"])
        return cls(**values)

    @property
    def severity(self) -> str:
        """"major" once on the major-complaint track, else "normal"."""
        return "major" if self.escalation_level >= 1 else "normal"

    @property
    def escalated(self) -> bool:
        """True for a complaint that came through a regulator or higher body (越级)."""
        return self.source != "direct"

    @property
    def track(self) -> str:
        """Which deadline table governs it: escalated, major or normal."""
        if self.escalated:
            return "escalated"
        return "major" if self.escalation_level >= 1 else "normal"

    @property
    def number(self) -> str:
        """The number shown to people: TS + local date + sequence."""
        return self.number_of(self.id, self.created_at)

    @staticmethod
    def number_of(complaint_id: int, created_at: datetime) -> str:
        """The number of the complaint `complaint_id` filed at `created_at`."""
        return f"TS{created_at.astimezone(SHANGHAI):%Y%m%d}{complaint_id:06d}"

    @property
    def masked_mobile(self) -> str:
        """The mobile number as lists show it: 138****1234."""
        return f"{self.mobile[:3]}****{self.mobile[-4:]}"


_FIELDS = tuple(f.name for f in fields(Complaint))


@dataclass(frozen=True)
class Actor:
    """Who is acting: a signed-in user, an API token's user, or the system."""

    username: str
    role: Role
    department: str
    display_name: str = ""
    lead: bool = False        # the department's lead (负责人): may reassign its complaints


SYSTEM = Actor("system", Role.system, CUSTOMER_SERVICE, "系统")
