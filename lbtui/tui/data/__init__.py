"""Where the dashboard's data comes from: service protocols, real services, pollers, messages."""
