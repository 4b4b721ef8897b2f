"""Creator subscriptions paid in coins."""
