import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()


def _warm_up():
    """Import the views, compile the public templates and load the translations once, in
    gunicorn's master (``preload_app``), so that a freshly forked worker answers its first
    request as fast as the others. No database connection is opened here."""
    from django.conf import settings
    from django.template import TemplateDoesNotExist
    from django.template.loader import get_template
    from django.urls import get_resolver
    from django.utils import translation

    get_resolver().url_patterns  # noqa: B018 - imports every view module
    for name in ("base.html", "kb/home.html", "kb/guide.html", "kb/carrier.html", "kb/search.html"):
        try:
            get_template(name)
        except TemplateDoesNotExist:
            pass
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("Search")


_warm_up()
