"""What is kept on disk: recorded sessions and their segments, the listener's marks, summaries, the feature cache."""
