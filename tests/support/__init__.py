"""What the tests share: footage makers, a virtual X server, a player window, fault and crash harnesses."""
