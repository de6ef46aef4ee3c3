"""Atom feeds of newly published and updated guides: the whole site and per carrier, in the
language of the address. Each published revision is its own entry, so an update reaches
subscribers as news."""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import OuterRef, Subquery
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from kb.models import Carrier, Guide, GuideRevision
from kb.traditional import content_language
from kb.views.pagecache import cached_page

FEED_LENGTH = 30


def _latest_guides(language, **filters):
    latest = GuideRevision.objects.filter(guide=OuterRef("pk")).order_by("-number")
    return (
        Guide.objects.published()
        .filter(language=language, **filters)
        .select_related("carrier", "country", "task")
        .annotate(
            revision_number=Subquery(latest.values("number")[:1]),
            revision_note=Subquery(latest.values("note")[:1]),
        )
        .order_by("-content_updated_at", "-pk")[:FEED_LENGTH]
    )


class LatestGuidesFeed(Feed):
    feed_type = Atom1Feed

    def title(self):
        return _("%(site)s: new and updated guides") % {"site": settings.SITE_NAME}

    def subtitle(self):
        return _("Step-by-step guides for managing phone lines and eSIMs from abroad.")

    def link(self):
        return reverse("kb:home")

    def feed_url(self):
        return reverse("kb:feed")

    def items(self):
        return _latest_guides(content_language())

    def item_title(self, item):
        if (item.revision_number or 1) > 1:
            return _("%(title)s (updated)") % {"title": item.title}
        return item.title

    def item_description(self, item):
        if item.revision_note and (item.revision_number or 1) > 1:
            return f"{item.summary}\n\n{_('What changed:')} {item.revision_note}"
        return item.summary

    def item_link(self, item):
        # An update is a new entry (its own id), linked to its line in the guide's changelog.
        if (item.revision_number or 1) > 1:
            return f"{item.get_absolute_url()}#revision-{item.revision_number}"
        return item.get_absolute_url()

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.content_updated_at

    def item_categories(self, item):
        return [
            name for name in (item.carrier and item.carrier.name, item.task.display_name) if name
        ]


class CarrierGuidesFeed(LatestGuidesFeed):
    def get_object(self, request, slug):
        return get_object_or_404(Carrier, slug=slug)

    def title(self, obj):
        return _("%(carrier)s: new and updated guides") % {"carrier": obj.name}

    def link(self, obj):
        return obj.get_absolute_url()

    def feed_url(self, obj):
        return reverse("kb:carrier_feed", kwargs={"slug": obj.slug})

    def items(self, obj):
        return _latest_guides(content_language(), carrier=obj)


def _listing_guides(feed):
    """A feed view whose page lists published guides (tag ``guides``)."""

    def view(request, *args, **kwargs):
        response = feed(request, *args, **kwargs)
        response.kb_tags = ("guides",)
        return response

    return view


site_feed = cached_page(_listing_guides(LatestGuidesFeed()))
carrier_feed = cached_page(_listing_guides(CarrierGuidesFeed()))
