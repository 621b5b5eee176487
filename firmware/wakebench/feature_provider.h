// Seam: features from the microphone, computed like the host does (TFLM's micro frontend with the
// settings in model_settings.h, state carried from frame to frame as core.features.compute_stream_features).
//
// Contract: FeatureProviderBegin() builds the frontend state (allocates its tables: call in setup only)
// and returns false with a reason in `error` when it cannot. FeatureProviderUpdate() consumes audio
// captured since the previous call, at most kMaxFramesPerUpdate frames per call, quantizes each frame
// for the model and pushes it into `ring`, and calls `on_frame` with both. Frame times are audio time (ms
// since the microphone started). Audio the loop was too slow to read is skipped and counted.

#ifndef WAKEBENCH_FEATURE_PROVIDER_H_
#define WAKEBENCH_FEATURE_PROVIDER_H_

#include <stdint.h>

#include "audio_ring.h"
#include "feature_ring_buffer.h"

constexpr int kMaxFramesPerUpdate = 25;  // 0.5 s of audio, so one loop never takes too long.

// `features`: the frontend's kFeatureBins outputs; `frame`: the same quantized for the model.
typedef void (*FrameCallback)(uint32_t time_ms, const uint16_t* features, const int8_t* frame);

bool FeatureProviderBegin(char* error, int error_size);
int FeatureProviderUpdate(const AudioRing& audio, FeatureRingBuffer* ring,
                          FrameCallback on_frame);
uint32_t FeatureProviderSkippedSamples();
uint32_t FeatureProviderTimeMs();

#endif  // WAKEBENCH_FEATURE_PROVIDER_H_
