"""Mirroring an origin through its change feed: HTTP client, applying changes, sync loop."""
