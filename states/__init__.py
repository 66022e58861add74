"""The complaint process as data: states, transitions, roles, policy and calendar.

Pure Python plus `transitions` and the calendar data: no database, no web, no clock reads.
"""
