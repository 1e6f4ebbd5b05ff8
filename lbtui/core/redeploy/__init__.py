"""Bringing one running VIP to a new config: plan, in-LB swap and reload, health gate, rollback."""
