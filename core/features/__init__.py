"""The device's features: the TFLM micro frontend in batch (`frontend`, a TensorFlow op) and streaming
(`streaming`, numpy, bit-exact with it), the training feature cache (`cache`) and augmentation (`augment`)."""
