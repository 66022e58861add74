"""UTCDateTime's fast SQLite conversions write and read exactly SQLAlchemy's own text form."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy.dialects import sqlite

from workflow.store.schema import UTCDateTime

DIALECT = sqlite.dialect()
FAST_BIND = UTCDateTime().bind_processor(DIALECT)
FAST_RESULT = UTCDateTime().result_processor(DIALECT, None)
SA_BIND = sqlite.DATETIME().bind_processor(DIALECT)
SA_RESULT = sqlite.DATETIME().result_processor(DIALECT, None)
SHANGHAI = timezone(timedelta(hours=8))
TIMES = [datetime(2026, 11, 29, 23, 50, 25, tzinfo=timezone.utc),
         datetime(2026, 11, 29, 23, 50, 25, 7, tzinfo=timezone.utc),
         datetime(2027, 1, 1, 0, 0, 0, 999999, tzinfo=SHANGHAI),
         datetime(1999, 12, 31, 16, 0, tzinfo=timezone(timedelta(hours=-5, minutes=-30)))]


@pytest.mark.parametrize("when", TIMES, ids=str)
def test_sqlite_text_is_sqlalchemys_and_reads_back_the_same_instant_in_utc(when):
    utc_naive = when.astimezone(timezone.utc).replace(tzinfo=None)
    stored = FAST_BIND(when)
    assert stored == SA_BIND(utc_naive)
    back = FAST_RESULT(stored)
    assert back == when and back.tzinfo is timezone.utc
    assert back == SA_RESULT(stored).replace(tzinfo=timezone.utc)


def test_text_order_is_time_order_and_naive_times_are_refused():
    ordered = sorted(TIMES)
    assert sorted(FAST_BIND(t) for t in TIMES) == [FAST_BIND(t) for t in ordered]
    assert FAST_BIND(None) is None and FAST_RESULT(None) is None
    with pytest.raises(ValueError, match="naive"):
        FAST_BIND(datetime(2026, 1, 1))
