"""The timer worker: claims due deadline rows and fires them through the workflow.

`worker` (claim-and-fire loop: claims through `workflow.store.deadlines`, and each row
goes to the "deadline due" service, `workflow.services.deadline_due`), `notify` (the
outbox sender), `scheduler` / `service` (APScheduler wiring, in its own process or in
the background of `complaints serve`; one worker per SQLite file is the lease in
`workflow.store.locks`), `loadgen` (bulk synthetic deadlines for the benchmark and
tests). Imports `states` and `workflow`, never `web`. Calendar loading and worker
health live in `workflow` (`workflow.admin.calendar`, `workflow.admin.health`) because
the web needs them too.
"""
