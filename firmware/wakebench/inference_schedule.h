// Seam: which feature frames of the stream the model runs on.
//
// Contract: call OnFrame() once per new feature frame, after pushing it into the window. It returns
// true when the model should run on the window ending with that frame: first when the window has just
// filled (the `window_frames`-th frame), then on every `every_frames`-th frame after it. This is the
// rule core/live/detector.py's StreamingDetector follows with the same values (kFeatureFrames and
// kInferenceEveryFrames, generated from the run's config), so the board and the PC run the model on the
// same windows. Constant time, no overflow however long it runs.
//
// Portable: no Arduino, no TFLM, no heap.

#ifndef WAKEBENCH_INFERENCE_SCHEDULE_H_
#define WAKEBENCH_INFERENCE_SCHEDULE_H_

class InferenceSchedule {
 public:
  // Both counts must be at least 1 (codegen refuses a cadence below 1).
  InferenceSchedule(int window_frames, int every_frames);

  bool OnFrame();

 private:
  int every_frames_;
  int frames_to_wait_;  // New frames to let pass before the next inference.
};

#endif  // WAKEBENCH_INFERENCE_SCHEDULE_H_
