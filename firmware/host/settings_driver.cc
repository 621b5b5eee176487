// Host driver: compiles the generated model_settings.h and model_data.cpp (include path given by the
// build) and prints what the firmware would see, one "name value" per line.

#include <stdio.h>

#include "model_data.h"
#include "model_settings.h"

int main() {
  printf("sha8 %s\n", kModelSha8);
  printf("model_bytes %d\n", kModelBytes);
  printf("g_model_len %u\n", g_model_len);
  printf("aligned16 %d\n", static_cast<int>(reinterpret_cast<unsigned long>(g_model) % 16 == 0));
  unsigned long checksum = 0;
  for (unsigned int i = 0; i < g_model_len; ++i) checksum = checksum * 31 + g_model[i];
  printf("checksum %lu\n", checksum);
  printf("labels");
  for (int i = 0; i < kLabelCount; ++i) printf(" %s", kLabels[i]);
  printf("\n");
  printf("is_keyword");
  for (int i = 0; i < kLabelCount; ++i) printf(" %d", kLabelIsKeyword[i] ? 1 : 0);
  printf("\n");
  printf("sample_rate %d\nwindow_ms %d\nstride_ms %d\nwindow_samples %d\nstride_samples %d\n",
         kAudioSampleRate, kFeatureWindowMs, kFeatureStrideMs, kFeatureWindowSamples,
         kFeatureStrideSamples);
  printf("bins %d\nframes %d\nelements %d\n", kFeatureBins, kFeatureFrames, kFeatureElementCount);
  printf("lower_band %.9g\nupper_band %.9g\nsmoothing_bits %d\neven_smoothing %.9g\n",
         kFrontendLowerBandHz, kFrontendUpperBandHz, kFrontendSmoothingBits, kFrontendEvenSmoothing);
  printf("odd_smoothing %.9g\nmin_signal_remaining %.9g\nenable_pcan %d\npcan_strength %.9g\n",
         kFrontendOddSmoothing, kFrontendMinSignalRemaining, kFrontendEnablePcan ? 1 : 0,
         kFrontendPcanStrength);
  printf("pcan_offset %.9g\ngain_bits %d\nenable_log %d\nscale_shift %d\n", kFrontendPcanOffset,
         kFrontendGainBits, kFrontendEnableLog ? 1 : 0, kFrontendScaleShift);
  printf("float_scale %.9g\ninput_scale %.9g\ninput_zero_point %d\n", kFeatureFloatScale, kInputScale,
         kInputZeroPoint);
  printf("average_window_ms %d\ndetection_threshold %d\nsuppression_ms %d\nminimum_count %d\n",
         static_cast<int>(kAverageWindowMs), kDetectionThreshold, static_cast<int>(kSuppressionMs),
         static_cast<int>(kMinimumCount));
  printf("max_results %d\narena %d\n", kRecognizerMaxResults, kTensorArenaSize);
  printf("inference_every_frames %d\n", kInferenceEveryFrames);
  return 0;
}
