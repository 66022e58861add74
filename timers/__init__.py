"""The timer worker: claims due deadline rows and fires them through the workflow.

`worker` (claim-and-fire loop), `fire` (what one due row does), `notify` (the outbox
sender), `scheduler` / `service` (APScheduler wiring, in its own process or in the
background of `complaints serve`), `calendar_admin` (loading a year's holidays).
Imports `states` and `workflow`, never `web`.
"""
