"""Live mode and watching a screen: prompt latency, CPU against raw MediaPipe, 60 frames/s, analysis speed."""
