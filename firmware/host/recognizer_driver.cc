// Host driver: runs the firmware's RecognizeCommands over a vector read from stdin.
//
// Input:  line 1: label_count capacity average_window_ms threshold suppression_ms minimum_count
//         then one line per step: time_ms s0 s1 ... s(label_count-1)
// Output: one line per step: "none" | "error" | "<label_index> <score> <0|1>"

#include <stdio.h>
#include <stdlib.h>

#include "recognize_commands.h"

namespace {
constexpr int kMaxLabels = 64;
constexpr int kMaxCapacity = 4096;
int32_t g_times[kMaxCapacity];
uint8_t g_scores[kMaxCapacity * kMaxLabels];
}  // namespace

int main() {
  int label_count, capacity;
  long window, threshold, suppression, minimum;
  if (scanf("%d %d %ld %ld %ld %ld", &label_count, &capacity, &window,
            &threshold, &suppression, &minimum) != 6 ||
      label_count < 1 || label_count > kMaxLabels || capacity < 1 ||
      capacity > kMaxCapacity) {
    fprintf(stderr, "bad header\n");
    return 2;
  }
  const RecognizerConfig config = {static_cast<int32_t>(window),
                                   static_cast<uint8_t>(threshold),
                                   static_cast<int32_t>(suppression),
                                   static_cast<int32_t>(minimum)};
  RecognizeCommands recognizer(config, label_count, capacity, g_times,
                               g_scores);
  long time_ms;
  uint8_t scores[kMaxLabels];
  while (scanf("%ld", &time_ms) == 1) {
    for (int i = 0; i < label_count; ++i) {
      int value;
      if (scanf("%d", &value) != 1) {
        fprintf(stderr, "truncated step\n");
        return 2;
      }
      scores[i] = static_cast<uint8_t>(value);
    }
    Recognition result;
    switch (recognizer.Process(scores, static_cast<int32_t>(time_ms), &result)) {
      case RecognizeStatus::kDecided:
        printf("%d %d %d\n", result.label_index, result.score,
               result.is_new ? 1 : 0);
        break;
      case RecognizeStatus::kNotEnoughData:
        printf("none\n");
        break;
      case RecognizeStatus::kTimeOrderError:
        printf("error\n");
        break;
    }
  }
  return 0;
}
