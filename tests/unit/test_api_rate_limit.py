"""The API's per-token rate limiter (a token bucket), on an injected clock."""
import pytest

from web.api.auth import RateLimiter


def test_a_bucket_allows_a_burst_then_asks_to_wait_until_it_refills():
    limiter = RateLimiter(3, 60)
    assert [limiter.wait_for("t", now=0.0) for _ in range(3)] == [0, 0, 0]
    assert limiter.wait_for("t", now=0.0) == pytest.approx(20.0)
    assert limiter.wait_for("t", now=20.0) == 0
    assert limiter.wait_for("other", now=20.0) == 0      # each token has its own bucket


def test_the_limit_is_read_from_requests_per_seconds_and_zero_turns_it_off():
    assert RateLimiter.parse("0") is None and RateLimiter.parse("") is None
    assert RateLimiter.parse("600/60").refill == pytest.approx(10.0)
    with pytest.raises(ValueError):
        RateLimiter.parse("-1/60")
