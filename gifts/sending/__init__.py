"""Sending gifts: the coins-to-diamonds write path, its reads and views, leaderboards."""
