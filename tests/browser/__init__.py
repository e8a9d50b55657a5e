"""Browser tests: a real Home Assistant with its frontend, driven in Chromium."""
