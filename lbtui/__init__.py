"""lbtui: build, watch and redeploy load-balanced container services across Docker hosts."""

__version__ = "0.1.0"
