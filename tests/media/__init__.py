"""Tests of the media source and its proxy views."""
