// Seam: the model's input window of feature frames.
//
// Contract: Push() stores the newest frame (kFeatureBins int8 values, already quantized for the model)
// and overwrites the oldest once the window is full; CopyTo() writes the window oldest-first, the
// layout of the model input [1, frames, bins, 1]; frames not yet pushed read as `fill` (the quantized
// value of a silent frame). Push is O(bins), not O(window): nothing is shifted.
// QuantizeFeature() maps one frontend output value to the model's int8 input exactly as
// core.features.quantize_input does (float32 math, round half to even, clamp).
//
// Portable: no Arduino, no TFLM, no heap; the caller owns the storage (frames * bins bytes).

#ifndef WAKEBENCH_FEATURE_RING_BUFFER_H_
#define WAKEBENCH_FEATURE_RING_BUFFER_H_

#include <stdint.h>

class FeatureRingBuffer {
 public:
  FeatureRingBuffer(int frames, int bins, int8_t* storage, int8_t fill);

  void Push(const int8_t* frame);
  void CopyTo(int8_t* out) const;
  void Clear();

  // Frames pushed since Clear(), saturating at frames().
  int filled() const { return filled_; }
  int frames() const { return frames_; }
  int bins() const { return bins_; }

 private:
  int frames_;
  int bins_;
  int8_t* storage_;
  int8_t fill_;
  int next_;    // Slot the next frame goes to (= oldest frame once full).
  int filled_;
};

int8_t QuantizeFeature(uint16_t value, float float_scale, float input_scale,
                       int zero_point);

#endif  // WAKEBENCH_FEATURE_RING_BUFFER_H_
