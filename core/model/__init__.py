"""Models: architectures, training, run folders and their records, the TFLM interpreter, int8 export and
evaluation."""
