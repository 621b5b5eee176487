// Seam: the board's microphone (implemented once per board, in arduino_board_<board>.cpp).
//
// Contract: AudioProviderBegin() starts the microphone at kAudioSampleRate, 16-bit mono, and returns
// false with a one-line reason in `error` when it cannot. From then on the microphone interrupt pushes
// every sample into the AudioRing returned by AudioProviderRing(); the main loop only reads from it.
// The interrupt never waits for anything, so a slow loop or a slow serial port loses samples (counted
// by the reader), never stalls the microphone.

#ifndef WAKEBENCH_AUDIO_PROVIDER_H_
#define WAKEBENCH_AUDIO_PROVIDER_H_

#include "audio_ring.h"

constexpr uint32_t kAudioRingSamples = 8192;  // 512 ms at 16 kHz.

bool AudioProviderBegin(char* error, int error_size);
const AudioRing& AudioProviderRing();

#endif  // WAKEBENCH_AUDIO_PROVIDER_H_
