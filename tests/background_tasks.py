"""Tasks that only the tests enqueue: one that fails a given number of times, one that always
fails. Their calls are counted in this process (the tests run the workers in-process)."""

from collections import Counter

from django.core import mail
from django.core.mail.backends.locmem import EmailBackend

from kb.background import background

CALLS: Counter = Counter()


@background(retries=2)
def flaky(*, key: str, failures: int) -> dict:
    CALLS[key] += 1
    if CALLS[key] <= failures:
        raise RuntimeError(f"{key} failed on call {CALLS[key]}")
    return {"calls": CALLS[key]}


@background(retries=2)
def always_fails(*, key: str) -> dict:
    CALLS[key] += 1
    raise ValueError(f"{key}: the carrier's page is not there")


class FailTwiceEmailBackend(EmailBackend):
    """The local-memory backend, after refusing the first two messages it is given."""

    refused = 0

    def send_messages(self, messages):
        if FailTwiceEmailBackend.refused < 2:
            FailTwiceEmailBackend.refused += 1
            raise ConnectionRefusedError("mail server down")
        return super().send_messages(messages)


__all__ = ["CALLS", "FailTwiceEmailBackend", "always_fails", "flaky", "mail"]
