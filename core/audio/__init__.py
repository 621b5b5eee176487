"""Audio in and out: audio files (`files`), sample arrays and resampling (`samples`), sources of samples
(`sources`), the microphone (`mic`) and taking one's own voice (`record`)."""
