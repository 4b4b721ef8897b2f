"""Live-room chat."""
