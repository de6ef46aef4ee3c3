"""Editorial screens. Each module registers the admin of one domain; buttons call services."""

from kb.admin import (  # noqa: F401
    catalogue,
    corrections,
    dashboard,
    feedback,
    guides,
    search,
    sources,
    tasks,
)
