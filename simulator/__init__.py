"""A CXone simulator for development and tests: an OpenID Provider that behaves like
CXone as NICE documents it (see docs/simulator.md). Never enabled in production."""
from .provider import CXoneSimulator, SimClient, SimTenant, SimUser  # noqa: F401
