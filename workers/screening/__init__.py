"""Screening internals: word lists as data, a small phrase matcher, and one detector per concern.

The public entry point is :func:`workers.screen.screen`.
"""
