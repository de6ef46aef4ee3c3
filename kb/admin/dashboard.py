"""The editorial dashboard on the admin index: counts that link to the lists behind them.

Each domain adds its own rows with ``@dashboard_item``; a row is a dict with ``label``,
``count`` and ``url``, or None when the user may not see it.
"""

from collections.abc import Callable

DASHBOARD_ITEMS: list[Callable] = []


def dashboard_item(func: Callable) -> Callable:
    DASHBOARD_ITEMS.append(func)
    return func


def dashboard_rows(request) -> list[dict]:
    rows = []
    for item in DASHBOARD_ITEMS:
        row = item(request)
        if row is not None:
            rows.append(row)
    return rows
