"""Audio in and out: audio files (`wav`), sources of samples (`sources`), the microphone (`mic`) and taking
one's own voice (`record`)."""
