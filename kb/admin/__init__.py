"""Editorial screens. Each module registers the admin of one domain; buttons call services."""

from kb.admin import catalogue, corrections, dashboard, feedback, guides, images, search  # noqa: F401

images.attach_to(guides.GuideAdmin)
