#include "feature_ring_buffer.h"

#include <math.h>
#include <string.h>

FeatureRingBuffer::FeatureRingBuffer(int frames, int bins, int8_t* storage,
                                     int8_t fill)
    : frames_(frames), bins_(bins), storage_(storage), fill_(fill) {
  Clear();
}

void FeatureRingBuffer::Clear() {
  memset(storage_, fill_, static_cast<size_t>(frames_) * bins_);
  next_ = 0;
  filled_ = 0;
}

void FeatureRingBuffer::Push(const int8_t* frame) {
  memcpy(storage_ + static_cast<size_t>(next_) * bins_, frame, bins_);
  next_ = (next_ + 1) % frames_;
  if (filled_ < frames_) ++filled_;
}

void FeatureRingBuffer::CopyTo(int8_t* out) const {
  // Oldest frame first: the slots from next_ to the end, then from 0 to next_.
  const size_t tail = static_cast<size_t>(frames_ - next_) * bins_;
  memcpy(out, storage_ + static_cast<size_t>(next_) * bins_, tail);
  memcpy(out + tail, storage_, static_cast<size_t>(next_) * bins_);
}

int8_t QuantizeFeature(uint16_t value, float float_scale, float input_scale,
                       int zero_point) {
  // Same float32 operations as numpy: (value * float_scale) / input_scale, then rint (ties to even
  // in the default rounding mode), plus the zero point, clamped to int8.
  const float scaled = (static_cast<float>(value) * float_scale) / input_scale;
  const int32_t q = static_cast<int32_t>(rintf(scaled)) + zero_point;
  if (q < -128) return -128;
  if (q > 127) return 127;
  return static_cast<int8_t>(q);
}
