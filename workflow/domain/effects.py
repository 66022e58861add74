"""What each action does to the complaint: the effects the transition table names
(`before=` in `states.process.TRANSITIONS`), run by the shared machine when it fires.

Each effect reads the event's keyword arguments (`actor`, `now`, `values`: the action's
fields, `policy`) and records in `data` (the history event's data) what the change did
besides the columns: where the complaint came from, whose it was, the new level.
"""
from __future__ import annotations

from states.catalogue import CUSTOMER_SERVICE
from states.process import ProcessModel


class ComplaintEffects(ProcessModel):
    """The effects of the process on a complaint (the domain's `Complaint` has them)."""

    def move_department(self, event) -> None:
        """assign, transfer: to the department given; its handler accepts it again."""
        values, data = event.kwargs["values"], event.kwargs["data"]
        data["from_department"] = self.department
        if event.event.name == "transfer" or values["department"] != self.department:
            self._hand_to(None, data)     # the new department's handler accepts it
        self.department = values["department"]

    def take_on(self, event) -> None:
        """accept: the accepting user becomes the handler of record."""
        self._hand_to(event.kwargs["actor"].username, event.kwargs["data"])

    def hand_over(self, event) -> None:
        """reassign: another handler of the same department holds it."""
        handler, data = event.kwargs["values"]["handler"], event.kwargs["data"]
        self._hand_to(handler, data)
        data["handler"] = handler

    def record_satisfaction(self, event) -> None:
        """close: the customer's satisfaction."""
        self.satisfaction = event.kwargs["values"]["satisfaction"]

    def start_cycle(self, event) -> None:
        """reopen: a new cycle; reopened often enough, it becomes a major complaint."""
        self.reopen_count += 1
        self.cycle += 1
        self.satisfaction = None
        policy, data = event.kwargs["policy"], event.kwargs["data"]
        if self.escalation_level == 0 and self.reopen_count >= policy.repeat_count:
            self._escalate(event.kwargs["actor"], data, "repeated")
            data["became_major"] = "repeated"

    def start_wait(self, event) -> None:
        """pause: the reply clock waits on the customer from now."""
        self.paused_at = event.kwargs["now"]
        self.pause_count += 1

    def end_wait(self, event) -> None:
        """resume, and a reply during a wait: the wait ends (a reply's stopped clocks are
        not resumed)."""
        if self.paused_at is not None:
            self.paused_seconds += int((event.kwargs["now"] - self.paused_at).total_seconds())
            self.paused_at = None

    def escalate_level(self, event) -> None:
        """escalate: onto the major-complaint track, or one level higher."""
        data = event.kwargs["data"]
        held = self.handler_user
        self._escalate(event.kwargs["actor"], data, data.get("criterion"))
        if held:
            data["from_handler"] = held
        data["level"] = self.escalation_level

    def _hand_to(self, username: str | None, data: dict) -> None:
        if self.handler_user and username != self.handler_user:
            data.setdefault("from_handler", self.handler_user)
        self.handler_user = username

    def _escalate(self, actor, data: dict, criterion: str | None) -> None:
        """Onto the major-complaint track (to the CSC's desk), or one level higher.

        Whose complaint it was is recorded: the reports credit "escalations caused" to
        that department (the escalation itself moves it to the CSC's desk)."""
        data["from_department"] = self.department
        if self.escalation_level == 0:
            self.department = CUSTOMER_SERVICE
        self.escalation_level += 1
        self.handler_user = None     # whoever takes it on the new level accepts it again
        why = criterion or ("timer" if actor.username == "system" else "manual")
        if why not in self.major_reasons:
            self.major_reasons = [*self.major_reasons, why]
