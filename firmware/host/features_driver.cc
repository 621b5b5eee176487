// Host driver: the firmware's feature ring buffer and input quantization.
//   Q float_scale input_scale zero_point v0 v1 ...   -> quantized int8 values
//   R frames bins pushes fill                        -> after each push of frame k (all bins = k % 100),
//                                                       the window as the model sees it (oldest first)

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
