"""The dialogue: one incoming message in, its replies out, routed to the feature that
registered it."""
