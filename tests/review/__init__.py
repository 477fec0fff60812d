"""Tests of the review queue, its CLI and its console."""
