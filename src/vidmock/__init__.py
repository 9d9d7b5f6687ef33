"""vidmock: a faithful local stand-in for the LLMGateway video API and its upstream providers."""

__version__ = "0.1.0"
