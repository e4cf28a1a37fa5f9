"""Drop-in reward functions for RL trainers: verl, TRL and OpenRLHF."""
