"""The face in each frame: MediaPipe tracking (small faces in a crop), landmarks, and per-frame measurements."""
