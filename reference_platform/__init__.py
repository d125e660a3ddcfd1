"""The system of the seeds: a two-way SMS marketing platform driven over the driver API.

It sends through the provider HTTP APIs (Sinch XMS, CM.com, Instasent) and receives their
callbacks on per-workspace webhooks. It imports nothing from `fake_providers` or `harness`.
"""

VERSION = "1.0.0"
