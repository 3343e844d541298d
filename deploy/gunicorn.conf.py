"""gunicorn's settings for a viewpoint app server.

Started by ``deploy/systemd/viewpoint-web.service`` as::

    gunicorn --config deploy/gunicorn.conf.py

The app's own settings (DATABASE_URL, SECRET_KEY, ...) come from the environment, as
everywhere; these two choose where and how wide gunicorn listens:

- ``VIEWPOINT_BIND``: the address nginx sends requests to (default ``127.0.0.1:8000``; an
  app server on its own machine listens on its private address, never a public one);
- ``VIEWPOINT_WORKERS``: processes, each answering one request at a time (default: one
  more than the machine has cores, which measured best on two cores: see the README's
  "Benchmarks").

Every server is alike and keeps nothing of its own: sessions, limits, the outbox and the
totals are in PostgreSQL, audio in the audio store (``AUDIO_STORE``).
"""

import os

wsgi_app = "viewpoint:create_app()"
bind = [os.environ.get("VIEWPOINT_BIND", "127.0.0.1:8000")]
workers = int(os.environ.get("VIEWPOINT_WORKERS") or (os.cpu_count() or 1) + 1)
worker_class = "sync"
# A request that takes a minute is stuck (the slowest, a review pack's PDF, takes seconds):
# its worker is replaced.
timeout = 60
# On SIGTERM (systemd's stop, a rolling upgrade) requests already taken are finished
# within this many seconds; the unit's TimeoutStopSec is longer.
graceful_timeout = 30
# No access log: the addresses and paths of children's requests are not kept on the
# servers. Errors still go to the journal.
accesslog = None
errorlog = "-"
loglevel = "warning"
# Behind nginx, which reads and buffers whole requests, so a slow tablet never holds a
# worker; the app reads the client's address from nginx's header (PROXY_COUNT=1).
