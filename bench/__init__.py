"""`make bench`: Vitrina under gunicorn against the bare stack, measured with wrk."""
