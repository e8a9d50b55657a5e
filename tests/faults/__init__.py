"""Tests of Immich Hub under the fake server's injected faults."""
