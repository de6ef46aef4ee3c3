from django.db import models
from django.utils.text import smart_split

# URLs typed without a scheme are https (Django 6's default; silences the 5.x warning).
URL_FIELDS_HTTPS = {models.URLField: {"assume_scheme": "https"}}


#: What an admin search box searches for: the first words of what was typed. A pasted flood
#: would otherwise build a query the database refuses (SQLite: "LIKE or GLOB pattern too
#: complex" for one long word, "Expression tree is too large" for thousands of words) or takes
#: seconds to plan (PostgreSQL, a hundred words over a screen's search fields).
MAX_SEARCH_CHARS = 200
MAX_SEARCH_WORDS = 10


class BoundedSearch:
    def get_search_results(self, request, queryset, search_term):
        words = list(smart_split(search_term[:MAX_SEARCH_CHARS]))[:MAX_SEARCH_WORDS]
        return super().get_search_results(request, queryset, " ".join(words))


def bound_searches(site) -> None:
    """Give every screen registered on ``site`` (ours, auth's, axes') a bounded search; called
    once every app's admin is registered (kb.apps.KbConfig.ready)."""
    for model, model_admin in list(site._registry.items()):
        if isinstance(model_admin, BoundedSearch):
            continue
        cls = type(model_admin)
        bounded = type(cls.__name__, (BoundedSearch, cls), {"__module__": cls.__module__})
        site.unregister(model)
        site.register(model, bounded)
