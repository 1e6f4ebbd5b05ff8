"""lbtui's domain: topologies, Docker engines, HAProxy, actions, redeploys, traffic; never a UI."""
