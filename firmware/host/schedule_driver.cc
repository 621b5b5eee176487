// Host driver: the frames on which the firmware's InferenceSchedule runs the model.
//
// Input:  one case per line: window_frames every_frames frame_count
// Output: one line per case: the 0-based indices of the frames OnFrame() chose, space-separated
//         (an empty line when it chose none).

#include <stdio.h>

#include "inference_schedule.h"

int main() {
  int window, every, count;
  while (scanf("%d %d %d", &window, &every, &count) == 3) {
    if (window < 1 || every < 1 || count < 0) {
      fprintf(stderr, "bad case\n");
      return 2;
    }
    InferenceSchedule schedule(window, every);
    const char* separator = "";
    for (int i = 0; i < count; ++i) {
      if (schedule.OnFrame()) {
        printf("%s%d", separator, i);
        separator = " ";
      }
    }
    printf("\n");
  }
  return 0;
}
