"""Rollouts without a gap: a changed service or backend container replaced one task at a time,
each drained in every VIP before it stops and healthy in the LB before the next one goes."""
