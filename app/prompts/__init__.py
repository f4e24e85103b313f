"""What the listener is offered: open questions and when to show one, the "I just asked" window, the notice."""
