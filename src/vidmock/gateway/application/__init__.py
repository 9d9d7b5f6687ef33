"""The gateway's application layer: routes, the service, the worker, content, webhook delivery,
retention and the content filter, built on the domain and the provider interface (ARCHITECTURE.md, layer 3).
"""
