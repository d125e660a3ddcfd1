"""`python -m acme_sms [--host 127.0.0.1] [--port 9000]`: serve Acme SMS until interrupted."""

from .server import main

raise SystemExit(main())
