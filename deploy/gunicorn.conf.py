"""gunicorn for the stack (``make stack``): two sync workers with threads on one port.

Renders run on Celery workers, so a web worker only validates uploads and serves bytes (or
redirects to S3); threads keep a slow client from holding a whole process.
"""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_WORKERS", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
worker_class = "gthread"
timeout = 60
graceful_timeout = 20
accesslog = "-"
errorlog = "-"
# Two gunicorn instances on one machine would otherwise share one control socket path.
control_socket_disable = True


def child_exit(server: object, worker: object) -> None:
    """A worker that exits leaves its metrics files; mark them so gauges stop counting it."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined]
