"""What Glimpse needs from the machine: bundled files, files written safely, system libraries, the crash log."""
