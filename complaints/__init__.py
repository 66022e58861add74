"""The `complaints` command: the one composition root that wires web, timers and workflow."""
