"""gunicorn's logger for deploy/gunicorn.conf.py: the access log leaves out /healthz.

A load balancer probes every few seconds; those lines would bury the readers'
requests and say nothing. The format itself (no address, no query string) is
the configuration's ``access_log_format``.
"""

from gunicorn.glogging import Logger

# coverage_archive.resilience.HEALTH_CHECK_PATH; not imported, as gunicorn's master loads this
# module before Django is set up.
HEALTH_CHECK_PATH = "/healthz"


class PrivateAccessLogger(Logger):
    def access(self, resp, req, environ, request_time):
        if environ.get("PATH_INFO") == HEALTH_CHECK_PATH:
            return
        super().access(resp, req, environ, request_time)
