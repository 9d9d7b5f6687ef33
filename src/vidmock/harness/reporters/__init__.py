"""Reporters turn the engine's event stream (or the final ``Report``) into output; none of them
touches the network or the target."""
