"""Tests for Immich Hub."""
