"""The use cases, one transaction each: what the web, the API, the CLI and the timer call.

Each opens a unit of work, lets the domain decide, has the store write, and commits; on
any error the transaction rolls back and nothing is written.
"""
from __future__ import annotations

from workflow.services.actions import Acted, act, act_and_read, allowed_actions, apply_action, check_may
from workflow.services.filing import IntakeResult, file_complaint, intake

__all__ = ["Acted", "IntakeResult", "act", "act_and_read", "allowed_actions", "apply_action",
           "check_may", "file_complaint", "intake"]
