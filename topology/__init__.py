"""geokv's network topology tools: simulated links between regions on one machine.

Owns the user-space link proxy the demo and the fault-injection suites put
between regions' replicators. Imports nothing else of geokv.
"""
