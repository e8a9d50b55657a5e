"""Tests of the Immich client (api/)."""
