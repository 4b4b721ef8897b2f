"""The gift catalog and what is on sale now."""
