"""Active messages an attendant sends from the Desk (R27).

An attendant whom the bot's admin allowed (``DeskSender``) picks an approved template, fills its
variables for each of 1–15 contacts and sends: one individual campaign per contact, created by
the wizard's and the API's own services (R28) and routed to that attendant, so a reply within
24 hours comes back to them (R11, R12). A per-contact cap (``DeskSendSettings``) keeps the Desk
from flooding a person.

``services`` writes, ``selectors`` reads, ``forms`` and ``views`` are the attendant's pages,
``workspace`` puts them in the Desk (which must not import this app).
"""
