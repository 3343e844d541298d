"""``/healthz``: whether the app and its database are working, for load balancers and people."""
