#include "inference_schedule.h"

InferenceSchedule::InferenceSchedule(int window_frames, int every_frames)
    : every_frames_(every_frames), frames_to_wait_(window_frames - 1) {}

bool InferenceSchedule::OnFrame() {
  if (frames_to_wait_ > 0) {
    --frames_to_wait_;
    return false;
  }
  frames_to_wait_ = every_frames_ - 1;
  return true;
}
