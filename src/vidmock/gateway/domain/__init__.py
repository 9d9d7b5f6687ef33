"""The gateway's domain: what a request, a job, a model and a release are, and the rules over them.

Pure functions and records over the foundations (layer 0); nothing here does I/O or knows a provider
(ARCHITECTURE.md, layer 1).
"""
