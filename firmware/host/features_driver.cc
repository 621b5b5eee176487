// Host driver: the firmware's feature ring buffer and input quantization.
//   Q float_scale input_scale zero_point v0 v1 ...   -> quantized int8 values
//   R frames bins pushes fill                        -> after each push of frame k (all bins = k % 100),
//                                                       the window as the model sees it (oldest first)
//   G capacity pushes index count                    -> audio ring: push samples 0..pushes-1 (as int16),
//                                                       then Copy(index, count): "ok v0 v1 ..." or "lost"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio_ring.h"
#include "feature_ring_buffer.h"

int main() {
  static char request[65536];
  static int8_t storage[64 * 64];
  static int8_t window[64 * 64];
  static int8_t frame[64];
  while (fgets(request, sizeof(request), stdin) != nullptr) {
    char* save = nullptr;
    char* kind = strtok_r(request, " \n", &save);
    if (kind == nullptr) continue;
    if (kind[0] == 'Q') {
      const float float_scale = strtof(strtok_r(nullptr, " \n", &save), nullptr);
      const float input_scale = strtof(strtok_r(nullptr, " \n", &save), nullptr);
      const int zero_point = atoi(strtok_r(nullptr, " \n", &save));
      bool first = true;
      for (char* t = strtok_r(nullptr, " \n", &save); t; t = strtok_r(nullptr, " \n", &save)) {
        const long value = strtol(t, nullptr, 10);
        printf(first ? "%d" : " %d",
               QuantizeFeature(static_cast<uint16_t>(value), float_scale,
                               input_scale, zero_point));
        first = false;
      }
      printf("\n");
    } else if (kind[0] == 'G') {
      static int16_t ring_storage[1024];
      static int16_t copied[1024];
      const uint32_t capacity = strtoul(strtok_r(nullptr, " \n", &save), nullptr, 10);
      const uint32_t pushes = strtoul(strtok_r(nullptr, " \n", &save), nullptr, 10);
      const uint32_t index = strtoul(strtok_r(nullptr, " \n", &save), nullptr, 10);
      const int count = atoi(strtok_r(nullptr, " \n", &save));
      if (capacity < 1 || capacity > 1024 || count < 0 || count > 1024) return 2;
      AudioRing ring(ring_storage, capacity);
      for (uint32_t i = 0; i < pushes; ++i) ring.Push(static_cast<int16_t>(i));
      if (!ring.Copy(index, copied, count)) {
        printf("lost\n");
      } else {
        printf("ok");
        for (int i = 0; i < count; ++i) printf(" %d", copied[i]);
        printf("\n");
      }
    } else if (kind[0] == 'R') {
      const int frames = atoi(strtok_r(nullptr, " \n", &save));
      const int bins = atoi(strtok_r(nullptr, " \n", &save));
      const int pushes = atoi(strtok_r(nullptr, " \n", &save));
      const int fill = atoi(strtok_r(nullptr, " \n", &save));
      if (frames < 1 || frames > 64 || bins < 1 || bins > 64) return 2;
      FeatureRingBuffer ring(frames, bins, storage, static_cast<int8_t>(fill));
      for (int k = 0; k < pushes; ++k) {
        memset(frame, k % 100, bins);
        ring.Push(frame);
        ring.CopyTo(window);
        for (int i = 0; i < frames * bins; i += bins) {
          printf(i == 0 ? "%d" : " %d", window[i]);
        }
        printf(" | %d\n", ring.filled());
      }
    }
  }
  return 0;
}
