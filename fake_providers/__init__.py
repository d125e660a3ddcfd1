"""Fakes of the Sinch XMS, CM.com and Instasent SMS APIs, with a control API under /_smsproof/.

`create_app()` (fake_providers.app) serves them; `run()` (fake_providers.server) starts a server;
`fake_providers.testing` routes the real provider host names to them in-process.
"""
