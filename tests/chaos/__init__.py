"""Chaos runs: real workers SIGKILLed mid-stream, compared with `order-replay`."""
