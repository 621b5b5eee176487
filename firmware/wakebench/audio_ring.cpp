#include "audio_ring.h"

bool AudioRing::Copy(uint32_t index, int16_t* out, int count) const {
  const uint32_t before = written_;
  if (static_cast<uint32_t>(before - index) > capacity_ ||
      static_cast<uint32_t>(before - index) < static_cast<uint32_t>(count)) {
    return false;  // Already overwritten, or not captured yet.
  }
  for (int i = 0; i < count; ++i) {
    out[i] = storage_[(index + i) % capacity_];
  }
  // The interrupt may have overwritten the oldest samples while we copied.
  const uint32_t after = written_;
  return static_cast<uint32_t>(after - index) <= capacity_;
}
