"""Where frames come from: files, cameras, a region of the screen, call video; and the listener's own key."""
