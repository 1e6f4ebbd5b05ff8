"""Swarm services as VIP backends: their swarm spec, their HAProxy slots, scaling without a drop."""
