"""gunicorn settings: `gunicorn -c config/gunicorn.conf.py config.wsgi`.

Every value can be overridden with the environment variable named beside it.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 1))
worker_class = "sync" if threads == 1 else "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 20))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", 5))
# Recycle workers now and then so that a slow leak cannot grow without bound. The master loads
# everything before forking (config/wsgi.py, preload_app), so a recycled worker answers its first
# request at once and finds the pages in the shared cache; recycling is cheap, but each recycle
# still empties that worker's page memory, so not too often: the count includes static files,
# and at 20,000 a worker under load was recycled every few seconds (bench/SCALE.md). 200,000 is
# about a minute at this machine's peak and hours at a real site's rate.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 200_000))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", 20_000))
preload_app = True
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")

# The application logs each request with its id and timing; gunicorn's access log is off by
# default and, when turned on, leaves out the client address (no raw IPs in logs).
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
access_log_format = '%(t)s "%(r)s" %(s)s %(b)s %(M)sms'
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
