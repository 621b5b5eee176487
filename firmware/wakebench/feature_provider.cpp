#include "feature_provider.h"

#include <stdio.h>

#include "model_settings.h"
#include "tensorflow/lite/experimental/microfrontend/lib/frontend.h"
#include "tensorflow/lite/experimental/microfrontend/lib/frontend_util.h"

namespace {

FrontendState g_frontend;
uint32_t g_next_sample = 0;       // Absolute index of the next sample to feed the frontend.
uint32_t g_skipped_samples = 0;
uint32_t g_time_ms = 0;
int16_t g_chunk[kFeatureStrideSamples];
int8_t g_frame[kFeatureBins];

uint32_t SampleToMs(uint32_t index) {
  return static_cast<uint32_t>(static_cast<uint64_t>(index) * 1000u /
                               kAudioSampleRate);
}

}  // namespace

bool FeatureProviderBegin(char* error, int error_size) {
  FrontendConfig config;
  config.window.size_ms = kFeatureWindowMs;
  config.window.step_size_ms = kFeatureStrideMs;
  config.filterbank.num_channels = kFeatureBins;
  config.filterbank.lower_band_limit = kFrontendLowerBandHz;
  config.filterbank.upper_band_limit = kFrontendUpperBandHz;
  config.noise_reduction.smoothing_bits = kFrontendSmoothingBits;
  config.noise_reduction.even_smoothing = kFrontendEvenSmoothing;
  config.noise_reduction.odd_smoothing = kFrontendOddSmoothing;
  config.noise_reduction.min_signal_remaining = kFrontendMinSignalRemaining;
  config.pcan_gain_control.enable_pcan = kFrontendEnablePcan ? 1 : 0;
  config.pcan_gain_control.strength = kFrontendPcanStrength;
  config.pcan_gain_control.offset = kFrontendPcanOffset;
  config.pcan_gain_control.gain_bits = kFrontendGainBits;
  config.log_scale.enable_log = kFrontendEnableLog ? 1 : 0;
  config.log_scale.scale_shift = kFrontendScaleShift;
  if (!FrontendPopulateState(&config, &g_frontend, kAudioSampleRate)) {
    snprintf(error, error_size, "micro frontend setup failed (out of memory?)");
    return false;
  }
  return true;
}

int FeatureProviderUpdate(const AudioRing& audio, FeatureRingBuffer* ring,
                          FrameCallback on_frame) {
  int frames = 0;
  while (frames < kMaxFramesPerUpdate) {
    const uint32_t written = audio.Written();
    if (written - g_next_sample > audio.capacity()) {
      // Too slow: skip to the newest quarter of the ring and carry on.
      const uint32_t resume = written - audio.capacity() / 4;
      g_skipped_samples += resume - g_next_sample;
      g_next_sample = resume;
    }
    if (written - g_next_sample < static_cast<uint32_t>(kFeatureStrideSamples)) {
      break;  // Not enough new audio yet.
    }
    if (!audio.Copy(g_next_sample, g_chunk, kFeatureStrideSamples)) {
      continue;  // Overwritten while copying: the check above skips ahead.
    }
    // The frontend takes what it needs for one frame and reports how much it read.
    const int16_t* samples = g_chunk;
    size_t remaining = kFeatureStrideSamples;
    while (remaining > 0) {
      size_t read = 0;
      const FrontendOutput output =
          FrontendProcessSamples(&g_frontend, samples, remaining, &read);
      samples += read;
      remaining -= read;
      g_next_sample += read;
      if (output.values != nullptr) {
        for (int i = 0; i < kFeatureBins; ++i) {
          g_frame[i] = QuantizeFeature(output.values[i], kFeatureFloatScale,
                                       kInputScale, kInputZeroPoint);
        }
        g_time_ms = SampleToMs(g_next_sample);
        ring->Push(g_frame);
        if (on_frame != nullptr) on_frame(g_time_ms, output.values, g_frame);
        ++frames;
      }
      if (read == 0) break;
    }
  }
  return frames;
}

uint32_t FeatureProviderSkippedSamples() { return g_skipped_samples; }
uint32_t FeatureProviderTimeMs() { return g_time_ms; }
