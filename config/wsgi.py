import logging
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()


def _warm_up():
    """Everything a worker would otherwise load on its first requests, loaded once in gunicorn's
    master (``preload_app``) so that every forked worker, a recycled one too, answers at once:
    the URLconf and views, the public templates, the translations, the reader-independent page
    fragments, the Chinese conversion tables (both directions), the code's stamp for page-cache
    keys, the search lexicon (from the shared cache, or built and stored there) and a results
    page in each language. The database connections opened for these are closed before the
    fork; if the database is not reachable yet, the workers load them on their first search."""
    from django.conf import settings
    from django.db import connections
    from django.template import TemplateDoesNotExist
    from django.template.loader import get_template
    from django.urls import get_resolver
    from django.utils import translation

    from kb.search.lexicon import get_lexicon
    from kb.search.normalize import normalize
    from kb.templatetags.kb_public import warm_fragments
    from kb.traditional import to_traditional
    from kb.views.pagecache import code_stamp

    get_resolver().url_patterns  # noqa: B018 - imports every view module
    for name in (
        "base.html",
        "kb/home.html",
        "kb/guide.html",
        "kb/carrier.html",
        "kb/country.html",
        "kb/task.html",
        "kb/search.html",
        "kb/_guide_link.html",
        "kb/_search_box.html",
        "kb/_feedback_fields.html",
        "kb/_feedback_form.html",
        "kb/_language_switch.html",
        "404.html",
    ):
        try:
            get_template(name)
        except TemplateDoesNotExist:
            pass
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("Search")
            warm_fragments()
    code_stamp()  # the release's hash, part of every page-cache key
    normalize("繁體中文 T-Mobile 註銷")
    to_traditional("简体中文 T-Mobile 注销")  # loads OpenCC's s2tw dictionaries
    try:
        get_lexicon()
        _warm_search()
    except Exception as exc:
        logging.getLogger(__name__).warning(
            "search not warmed before the fork: %s", type(exc).__name__
        )
    finally:
        connections.close_all()


#: Searches run once in the master: a worker's first results pages took 2-3 times as long as
#: later ones (130-200 ms against 40-60 at 100,000 guides: the stems of the guides' words, the
#: search and snippet code's first calls), which is what a reader pays after every deploy,
#: worker recycle and publish.
WARM_SEARCHES = (("zh-hans", "暂停 保号 注销 esim"), ("en", "cancel pause top up esim"))


def _warm_search():
    """Render a results page in each language, through the view but not its cache: nothing is
    stored and no search gap is counted."""
    from django.utils import translation
    from django.utils.http import urlencode

    from kb.services.prerender import _request
    from kb.views.search import search

    for language, query in WARM_SEARCHES:
        with translation.override(language):
            request = _request(f"/{language}/search/", query=urlencode({"q": query}))
            request.LANGUAGE_CODE = language
            search.__wrapped__(request)


_warm_up()
