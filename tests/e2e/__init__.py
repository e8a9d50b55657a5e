"""End-to-end tests against real Immich servers."""
