"""Use cases that drive the stages: analysing files, a live session, replay and review, what live can watch."""
