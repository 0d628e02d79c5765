"""The app as gunicorn serves it (Procfile: `ivr.wsgi:app`), with start-up objects kept out of the collector's way.

A worker's start-up leaves about 150,000 long-lived objects (flows, prompts, SQLAlchemy, Twilio
and Flask internals). Every full garbage collection walks them all: about 40 ms during which that
worker answers no caller, the largest part of a keypress's p99. Frozen once start-up is done
(gc.freeze, as CPython's docs suggest for pre-fork servers), collections walk only what requests make.
"""
import gc

from ivr import create_app

app = create_app()
gc.collect()
gc.freeze()
