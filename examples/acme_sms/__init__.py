"""Acme SMS: a small marketing-SMS platform, certified by smsproof for the opt_out_keywords profile.

It is written as a vendor would write it, with nothing from smsproof: the standard library's HTTP
server, plain dictionaries for storage, `phonenumbers` and `unidecode` for phones and accents, and
urllib for the Sinch XMS REST API. Modules:

- `rules.py`: keywords, phones, who may be sent to (the business rules);
- `sinch.py`: the Sinch XMS client and its callbacks (send, signatures, MO and delivery reports);
- `store.py`: workspaces (configuration, customers, events, blacklist, clock, hourly batch);
- `server.py`: the HTTP API: smsproof's driver API under /driver/v1 and the Sinch webhooks.
"""
