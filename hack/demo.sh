#!/usr/bin/env bash
# The demo is built by a later change; until then it says so.
echo "make demo: the demo is not built yet; see README.md for what is ready." >&2
