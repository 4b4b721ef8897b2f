"""Notifications: the in-app inbox, the emails that go with it, and each person's choice per kind and channel.

At the BOTTOM of the import order (below ``accounts``): it imports only Django and ``coinshop`` helpers that import no
app, so every app may call ``notifications.services.notify`` from its own services. It knows nothing of gifts,
payouts or people beyond the user row: callers pass the finished text and link.
"""
