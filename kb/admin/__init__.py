"""Editorial screens. Each module registers the admin of one domain; buttons call services."""

from kb.admin import (  # noqa: F401
    catalogue,
    corrections,
    dashboard,
    feedback,
    guides,
    images,
    search,
    sources,
    tasks,
)

images.attach_to(guides.GuideAdmin)
