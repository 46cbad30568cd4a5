"""The drill's preflight reads: what it learns about the target instances before sending."""

from __future__ import annotations

from ob_async._client import ObClient
from ob_async._http.credentials import Credentials
from ob_async._restore.retry import Backoff, RetryPolicy
from ob_async.drill._preflight import Preflight
from tests.support.fakes import FlakyPagesApi


async def test_the_names_taken_are_read_page_by_page_under_the_retry_policy() -> None:
    # An instance of thousands of tenants is many pages; when the whole listing was
    # retried, a few percent of failed requests made it fail as often as not.
    client = ObClient(
        "https://api.example.test",
        Credentials("AK", access_key_secret="sk"),
        "p1",
        retry_policy=RetryPolicy(max_attempts=2, backoff=Backoff(base=0.001, cap=0.001)),
    )
    pages = FlakyPagesApi()
    client.list_tenants = pages.list_tenants  # type: ignore[method-assign]
    taken = await Preflight(client)._taken("ob1")
    assert taken == set(pages.names)
    assert pages.requests == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    await client.close()
