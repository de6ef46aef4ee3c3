"""robots.txt: crawl the guides, not the forms or search results. The admin is not named: a
list of disallowed paths is the first place an attacker looks for it."""

from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe


@require_safe
@cache_control(max_age=86400, public=True)
def robots_txt(request):
    lines = ["User-agent: *"]
    for code, _name in settings.LANGUAGES:
        for part in ("search/", "corrections/"):
            lines.append(f"Disallow: /{code}/{part}")
        lines.append(f"Disallow: /{code}/guides/*/correction/")
        lines.append(f"Disallow: /{code}/guides/*/steps/")
        lines.append(f"Disallow: /{code}/guides/*/feedback/")
        lines.append(f"Disallow: /{code}/request/")
    lines.append("Disallow: /i18n/")
    lines.append("")
    lines.append(f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}")
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
