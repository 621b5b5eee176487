// Host "board" for firmware-in-the-loop on the PC: the sketch's own wakebench_app.cpp (model check,
// TFLM interpreter with the firmware's op resolver, micro frontend, schedule, recognizer, protocol
// writer and command parser) runs unchanged; only the board seams are replaced. Audio comes from raw
// 16 kHz mono s16le PCM (a file or stdin), protocol lines go to stdout exactly as the board would send
// them over USB.
//
//   wakebench_host [--commands "F1;P1"] [--raw-features FILE] [PCM_FILE | -]
//
// --commands: host commands sent before the audio, ';'-separated (as if typed on the serial port).
// --raw-features: also writes each frame's unquantized frontend output ("<ms> v0 v1 ...") to FILE,
//   which no board sends (the F line carries the quantized frame the model sees).
// The audio is fed like the microphone does, 10 ms at a time, with one loop() per 10 ms; the serial
// port never refuses a byte, so no stream line is dropped (a board drops them when USB is busy).

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio_provider.h"
#include "board.h"
#include "command_responder.h"
#include "wakebench_app.h"

namespace {

constexpr int kChunkSamples = 160;

int16_t g_ring_storage[kAudioRingSamples];
AudioRing g_ring(g_ring_storage, kAudioRingSamples);
const char* g_commands = "";
FILE* g_raw_features = nullptr;

class StdoutSink : public SerialSink {
 public:
  int AvailableForWrite() override { return 1 << 20; }
  int Write(const char* data, int length) override {
    return static_cast<int>(fwrite(data, 1, static_cast<size_t>(length), stdout));
  }
};
StdoutSink g_sink;

void WriteRawFeatures(uint32_t time_ms, const uint16_t* features, int count) {
  fprintf(g_raw_features, "%u", static_cast<unsigned>(time_ms));
  for (int i = 0; i < count; ++i) fprintf(g_raw_features, " %u", features[i]);
  fputc('\n', g_raw_features);
}

int Usage() {
  fprintf(stderr, "usage: wakebench_host [--commands \"F1;P1\"] [--raw-features FILE] [PCM_FILE | -]\n");
  return 2;
}

}  // namespace

// --- board seams (board.h, audio_provider.h, command_responder.h) ---------------------------------

const char* BoardName() { return "host"; }
void BoardSerialBegin() {}
SerialSink* BoardSerial() { return &g_sink; }

int BoardSerialRead() {
  if (g_commands == nullptr) return -1;
  const char c = *g_commands;
  if (c == '\0') {
    g_commands = nullptr;  // The last command ends with the input.
    return '\n';
  }
  ++g_commands;
  return c == ';' ? '\n' : c;
}

bool AudioProviderBegin(char* error, int error_size) {
  (void)error;
  (void)error_size;
  return true;
}
const AudioRing& AudioProviderRing() { return g_ring; }

void CommandResponderBegin(const char* model_sha8) { (void)model_sha8; }
void RespondToCommand(uint32_t time_ms, int label_index, const char* label, uint8_t score) {
  (void)time_ms;
  (void)label_index;
  (void)label;
  (void)score;  // The D line on stdout says it all.
}
void CommandResponderUpdate(uint32_t time_ms) { (void)time_ms; }
void ShowFatalError(const char* code, const char* text) {
  fprintf(stderr, "fatal %s: %s\n", code, text);  // The E line went to stdout already.
}

// TFLM's log (MicroPrintf): the board core prints it on Serial; here it goes to stderr.
extern "C" void DebugLog(const char* s) { fputs(s, stderr); }

int main(int argc, char** argv) {
  const char* pcm_path = "-";
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--commands") == 0 && i + 1 < argc) {
      g_commands = argv[++i];
    } else if (strcmp(argv[i], "--raw-features") == 0 && i + 1 < argc) {
      g_raw_features = fopen(argv[++i], "w");
      if (g_raw_features == nullptr) {
        perror(argv[i]);
        return 1;
      }
    } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
      return Usage();
    } else {
      pcm_path = argv[i];
    }
  }
  FILE* pcm = strcmp(pcm_path, "-") == 0 ? stdin : fopen(pcm_path, "rb");
  if (pcm == nullptr) {
    perror(pcm_path);
    return 1;
  }
  if (g_raw_features != nullptr) WakebenchObserveFrames(WriteRawFeatures);

  WakebenchSetup();
  // Commands are read by loop(); let it take them all before the first audio arrives.
  if (*g_commands == '\0') g_commands = nullptr;
  while (g_commands != nullptr) WakebenchLoop();
  int16_t chunk[kChunkSamples];
  size_t got;
  while ((got = fread(chunk, sizeof(int16_t), kChunkSamples, pcm)) > 0) {
    for (size_t i = 0; i < got; ++i) g_ring.Push(chunk[i]);  // As the microphone interrupt does.
    WakebenchLoop();
  }
  for (int i = 0; i < 4; ++i) WakebenchLoop();  // Frames still in the ring, queued lines.
  if (g_raw_features != nullptr) fclose(g_raw_features);
  if (ferror(pcm)) {
    perror(pcm_path);
    return 1;
  }
  return fflush(stdout) == 0 ? 0 : 1;
}
