"""gunicorn's configuration for the archive: ``gunicorn -c deploy/gunicorn.conf.py`` (it names kyr_site.wsgi).

Threaded workers (gthread): a reader on a slow connection holds one thread, not a
whole worker, and the worker keeps telling the master it is alive while a thread
streams a long export, so ``timeout`` never cuts an honest download short (with
sync workers it would). Put a buffering proxy in front all the same
(deploy/nginx.conf): it takes the response at once and feeds slow readers itself.

The environment chooses the address, workers, threads, timeout and access log (README,
"Production"); any other setting can be overridden on the command line
(``gunicorn -c deploy/gunicorn.conf.py --max-requests 0``).
"""

import os
import shutil
import sys
import tempfile
from pathlib import Path

# The project folder, so the settings' typed readers import whatever the working directory.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kyr_site.env import env_int, env_list, env_str

wsgi_app = "kyr_site.wsgi:application"
# Django is loaded once, in the master, before the workers fork: a worker (re)starts in
# milliseconds and shares the loaded code's memory; an error in the settings stops gunicorn at
# once instead of looping on failing workers. (Code changes then need a restart, not a HUP.)
preload_app = True
# Addresses to listen on, comma-separated: 127.0.0.1:8000, unix:/run/kyr/gunicorn.sock, …
bind = env_list("GUNICORN_BIND", ["127.0.0.1:8000"])

worker_class = "gthread"
# Processes: the usual 2 * cores + 1 unless WEB_CONCURRENCY says otherwise; each runs THREADS requests.
workers = env_int("WEB_CONCURRENCY", 2 * (os.cpu_count() or 1) + 1)
threads = env_int("GUNICORN_THREADS", 4)

# A worker silent for this long is killed and replaced (a request stuck in C code, say).
timeout = env_int("GUNICORN_TIMEOUT", 30)
# On restart or SIGTERM, requests under way get this long to finish.
graceful_timeout = 30
keepalive = 5
# Recycle each worker after about this many requests (the jitter keeps them from all restarting at once),
# so a slow leak in any library never grows for ever; 0 turns it off.
max_requests = 1000
max_requests_jitter = 100

# Errors to standard error; the access log only if asked for (a file, or - for standard output),
# and then without the reader's address or query string (README, "What the server records").
errorlog = "-"
loglevel = "info"
accesslog = env_str("GUNICORN_ACCESS_LOG") or None
access_log_format = '%(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
logger_class = "kyr_site.gunicorn_logging.PrivateAccessLogger"
# No runtime control socket (gunicornc): one fixed path per user would be shared by every instance on the host.
control_socket_disable = True

# One folder of lock files for all this instance's workers: the export limit (EXPORT_CONCURRENCY) is
# per instance, across processes and threads (coverage_archive/resilience.py).
SLOTS_DIR_VARIABLE = "KYR_EXPORT_SLOTS_DIR"


def on_starting(server):
    os.environ[SLOTS_DIR_VARIABLE] = tempfile.mkdtemp(prefix="kyr-export-slots-")


def on_exit(server):
    shutil.rmtree(os.environ.get(SLOTS_DIR_VARIABLE, ""), ignore_errors=True)
