// The firmware itself, board-independent: model setup and check, serial commands, feature, score and
// audio streams, inference on schedule, recognizer, detections (see wakebench_app.h). The sketch's
// wakebench.ino only calls WakebenchSetup()/WakebenchLoop(); firmware/host builds this same file for
// the PC with a host "board" (firmware-in-the-loop).
//
// No Arduino.h here: the SAMD core's Arduino.h defines a round(x) macro that breaks TFLM's and
// gemmlowp's headers, so TFLM is only included from units that never see Arduino.h.
#include "wakebench_app.h"

#include <stdio.h>
#include <string.h>

#include "audio_provider.h"
#include "board.h"
#include "command_responder.h"
#include "feature_provider.h"
#include "feature_ring_buffer.h"
#include "inference_schedule.h"
#include "model_check.h"
#include "model_data.h"
#include "model_settings.h"
#include "op_resolver.h"
#include "recognize_commands.h"
#include "serial_protocol.h"
#include "tensorflow/lite/micro/micro_interpreter.h"
#include "tensorflow/lite/schema/schema_generated.h"

namespace {

constexpr int kErrorBytes = 160;

alignas(16) uint8_t g_tensor_arena[kTensorArenaSize];
int8_t g_feature_storage[kFeatureElementCount];
int32_t g_result_times[kRecognizerMaxResults];
uint8_t g_result_scores[kRecognizerMaxResults * kLabelCount];
uint8_t g_scores[kLabelCount];
int16_t g_audio_chunk[kAudioChunkSamples];
char g_line[kMaxLineBytes];
char g_error[kErrorBytes];
char g_error_code[8];

// Quantized value of a silent frame (feature 0), for the window before it has filled.
const int8_t kSilentFeature = QuantizeFeature(0, kFeatureFloatScale, kInputScale, kInputZeroPoint);

FeatureRingBuffer g_features(kFeatureFrames, kFeatureBins, g_feature_storage, kSilentFeature);
// The model runs once the window has filled, then once every kInferenceEveryFrames new frames: the
// run's setting, the same cadence the PC uses (core/live/detector.py), so both take the same decisions.
InferenceSchedule g_schedule(kFeatureFrames, kInferenceEveryFrames);
const RecognizerConfig kRecognizerConfig = {kAverageWindowMs, kDetectionThreshold, kSuppressionMs,
                                            kMinimumCount};
RecognizeCommands g_recognizer(kRecognizerConfig, kLabelCount, kRecognizerMaxResults, g_result_times,
                               g_result_scores);

tflite::MicroInterpreter* g_interpreter = nullptr;
LineWriter* g_writer = nullptr;
CommandReader g_commands;
bool g_model_ok = false;
bool g_stream_features = false;
bool g_stream_scores = false;
bool g_stream_audio = false;
FrameObserver g_frame_observer = nullptr;
uint32_t g_audio_next = 0;  // Next sample to stream (absolute ring index).
uint32_t g_audio_seq = 0;   // Samples streamed or dropped since A1 (the A line's seq).

void SendReliable(int length) {
  if (length > 0) g_writer->SendReliable(g_line, length);
}

void SendLog(const char* text) { SendReliable(EncodeLog(g_line, sizeof(g_line), text)); }

void SendHello() {
  const HelloInfo info = {BoardName(),       kModelSha8,       kLabels,      kLabelCount,
                          kAudioSampleRate,  kFeatureWindowMs, kFeatureStrideMs, kFeatureBins};
  SendReliable(EncodeHello(g_line, sizeof(g_line), info));
  if (!g_model_ok && g_error_code[0] != '\0') {
    SendReliable(EncodeError(g_line, sizeof(g_line), g_error_code, g_error));
  }
}

void Fail(const char* code) {
  strncpy(g_error_code, code, sizeof(g_error_code) - 1);
  SendReliable(EncodeError(g_line, sizeof(g_line), g_error_code, g_error));
  ShowFatalError(g_error_code, g_error);
}

// Builds the interpreter once; every TfLiteStatus is checked and a failure becomes `E model ...`.
bool SetUpModel() {
  const tflite::Model* model = tflite::GetModel(g_model);
  if (!CheckModelOps(model, g_error, sizeof(g_error))) return false;
  static FirmwareOpResolver resolver;
  if (RegisterFirmwareOps(&resolver) != kTfLiteOk) {
    snprintf(g_error, sizeof(g_error), "could not register the firmware's ops");
    return false;
  }
  static tflite::MicroInterpreter interpreter(model, resolver, g_tensor_arena, kTensorArenaSize);
  if (interpreter.AllocateTensors() != kTfLiteOk) {
    snprintf(g_error, sizeof(g_error), "tensor arena of %d bytes is too small for the model",
             kTensorArenaSize);
    return false;
  }
  if (!CheckModelTensors(&interpreter, g_error, sizeof(g_error))) return false;
  g_interpreter = &interpreter;
  snprintf(g_error, sizeof(g_error), "model %s ok, arena %u of %d bytes used", kModelSha8,
           static_cast<unsigned>(interpreter.arena_used_bytes()), kTensorArenaSize);
  SendLog(g_error);
  g_error[0] = '\0';
  return true;
}

void HandleCommand() {
  if (g_commands.overflowed()) {
    SendReliable(EncodeError(g_line, sizeof(g_line), "cmd", "command too long"));
    return;
  }
  const Command command = ParseCommand(g_commands.line(), g_commands.length());
  switch (command.type) {
    case CommandType::kHello:
      SendHello();
      break;
    case CommandType::kFeatures:
      g_stream_features = command.on;
      break;
    case CommandType::kScores:
      g_stream_scores = command.on;
      break;
    case CommandType::kAudio:
      g_stream_audio = command.on;
      g_audio_next = AudioProviderRing().Written();
      g_audio_seq = 0;
      break;
    case CommandType::kThreshold:
      g_recognizer.set_detection_threshold(command.threshold);
      snprintf(g_error, sizeof(g_error), "threshold %u", command.threshold);
      SendLog(g_error);
      g_error[0] = '\0';
      break;
    case CommandType::kUnknown: {
      char text[kMaxCommandBytes + 48];
      snprintf(text, sizeof(text), "%s: %s", command.error, g_commands.line());
      SendReliable(EncodeError(g_line, sizeof(g_line), "cmd", text));
      break;
    }
  }
}

void ReadHostCommands() {
  // Bounded: a host flooding the port cannot starve the audio path.
  for (int budget = 64; budget > 0; --budget) {
    const int c = BoardSerialRead();
    if (c < 0) return;
    if (g_commands.Push(static_cast<char>(c))) HandleCommand();
  }
}

// Streams microphone audio in 10 ms chunks; a chunk the port cannot take now is dropped, and seq
// still advances so the host sees the gap.
void StreamAudio() {
  const AudioRing& ring = AudioProviderRing();
  for (int chunks = 0; chunks < 8; ++chunks) {
    const uint32_t written = ring.Written();
    if (written - g_audio_next > ring.capacity()) {
      const uint32_t resume = written - kAudioChunkSamples;
      g_audio_seq += resume - g_audio_next;
      g_audio_next = resume;
    }
    if (written - g_audio_next < static_cast<uint32_t>(kAudioChunkSamples)) return;
    if (ring.Copy(g_audio_next, g_audio_chunk, kAudioChunkSamples)) {
      const int length =
          EncodeAudio(g_line, sizeof(g_line), g_audio_seq, g_audio_chunk, kAudioChunkSamples);
      if (length > 0) g_writer->SendDroppable(g_line, length);
      g_audio_next += kAudioChunkSamples;
      g_audio_seq += kAudioChunkSamples;
    }
  }
}

void RunModel(uint32_t now) {
  TfLiteTensor* input = g_interpreter->input(0);
  g_features.CopyTo(input->data.int8);
  if (g_interpreter->Invoke() != kTfLiteOk) {
    SendReliable(EncodeLog(g_line, sizeof(g_line), "inference failed"));
    return;
  }
  const TfLiteTensor* output = g_interpreter->output(0);
  for (int i = 0; i < kLabelCount; ++i) {
    g_scores[i] = static_cast<uint8_t>(output->data.int8[i] + 128);
  }
  if (g_stream_scores) {
    const int length = EncodeScores(g_line, sizeof(g_line), now, g_scores, kLabelCount);
    if (length > 0) g_writer->SendDroppable(g_line, length);
  }
  Recognition result;
  const RecognizeStatus status =
      g_recognizer.Process(g_scores, static_cast<int32_t>(now & 0x7fffffff), &result);
  if (status == RecognizeStatus::kTimeOrderError) {
    g_recognizer.Reset();  // The 31-bit audio clock wrapped (after ~24 days).
    return;
  }
  if (status != RecognizeStatus::kDecided || !result.is_new) return;
  if (!kLabelIsKeyword[result.label_index]) return;  // _silence_ and _unknown_ are not commands.
  const char* label = kLabels[result.label_index];
  SendReliable(EncodeDetection(g_line, sizeof(g_line), now, label, result.score));
  RespondToCommand(now, result.label_index, label, result.score);
}

// Called for each new feature frame right after it entered the window, so a scheduled inference sees
// exactly the window ending with this frame (and its time), as on the PC, even when one loop catches
// up on several frames.
void OnFeatureFrame(uint32_t time_ms, const uint16_t* features, const int8_t* frame) {
  if (g_frame_observer != nullptr) g_frame_observer(time_ms, features, kFeatureBins);
  if (g_stream_features) {
    uint8_t bytes[kFeatureBins];
    for (int i = 0; i < kFeatureBins; ++i) bytes[i] = static_cast<uint8_t>(frame[i] + 128);
    const int length = EncodeFeatures(g_line, sizeof(g_line), time_ms, bytes, kFeatureBins);
    if (length > 0) g_writer->SendDroppable(g_line, length);
  }
  if (g_schedule.OnFrame() && g_model_ok) RunModel(time_ms);
}

}  // namespace

void WakebenchObserveFrames(FrameObserver observer) { g_frame_observer = observer; }

void WakebenchSetup() {
  BoardSerialBegin();
  static LineWriter writer(BoardSerial());
  g_writer = &writer;
  CommandResponderBegin(kModelSha8);

  g_model_ok = SetUpModel();
  if (!g_model_ok) Fail("model");

  if (!FeatureProviderBegin(g_error, sizeof(g_error))) {
    Fail("features");
  } else if (!AudioProviderBegin(g_error, sizeof(g_error))) {
    Fail("mic");
  }
  SendHello();
}

void WakebenchLoop() {
  ReadHostCommands();
  g_writer->Flush();
  // Pushes each new frame into the window and calls OnFeatureFrame, which runs the model on schedule.
  FeatureProviderUpdate(AudioProviderRing(), &g_features, OnFeatureFrame);
  if (g_stream_audio) StreamAudio();
  CommandResponderUpdate(FeatureProviderTimeMs());
}
