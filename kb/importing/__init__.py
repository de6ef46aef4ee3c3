"""Turning existing articles into draft guides: the pure parts (no database writes).

``reading`` finds and decodes files, ``promo`` removes promotion, ``parsing`` finds the title,
steps, problems and notes, ``detection`` matches carrier, country and task against the
catalogue. ``kb.services.importing`` puts them together and saves the draft.
"""
