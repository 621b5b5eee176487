// Seam: command recognition (posterior smoothing).
//
// Contract: call Process() once per inference with that inference's scores (one per label, 0-255, i.e.
// the int8 model output + 128) and its time in ms. Times must not go backwards. The decision follows
// TFLM micro_speech's RecognizeCommands: scores are averaged (integer floor) over the results of the last
// average_window_ms; no decision with fewer than minimum_count results or less than a quarter window of
// history; a decision is new when the top average is strictly above the threshold and the label differs
// from the last new one or more than suppression_ms passed (never suppressed after label 0, silence).
// core/live/recognize.py takes exactly the same decisions; tests/vectors/recognizer/*.json hold shared cases.
// Differences from micro_speech (mirrored in Python): a time earlier than the newest result is an error,
// and a full queue drops its oldest result.
//
// Portable: no Arduino, no TFLM, no heap. The caller owns the result storage (capacity results).

#ifndef WAKEBENCH_RECOGNIZE_COMMANDS_H_
#define WAKEBENCH_RECOGNIZE_COMMANDS_H_

#include <stdint.h>

struct RecognizerConfig {
  int32_t average_window_ms;
  uint8_t detection_threshold;
  int32_t suppression_ms;
  int32_t minimum_count;
};

enum class RecognizeStatus {
  kDecided,         // *result holds the decision.
  kNotEnoughData,   // Too few results in the window; *result untouched.
  kTimeOrderError,  // time_ms is earlier than the previous result; nothing changed.
};

struct Recognition {
  int label_index;
  uint8_t score;  // Averaged score of label_index, 0-255.
  bool is_new;    // A new command: above threshold and not suppressed.
};

class RecognizeCommands {
 public:
  // times: capacity entries; scores: capacity * label_count entries. Both outlive this object.
  RecognizeCommands(const RecognizerConfig& config, int label_count, int capacity,
                    int32_t* times, uint8_t* scores);

  RecognizeStatus Process(const uint8_t* scores, int32_t time_ms,
                          Recognition* result);

  // Forgets every result and the last command (e.g. after the clock wrapped).
  void Reset();

  void set_detection_threshold(uint8_t threshold) {
    config_.detection_threshold = threshold;
  }
  uint8_t detection_threshold() const { return config_.detection_threshold; }
  int size() const { return size_; }

 private:
  int SlotOf(int offset) const;  // Storage slot of the offset-th oldest result.
  void PopFront();

  RecognizerConfig config_;
  int label_count_;
  int capacity_;
  int32_t* times_;
  uint8_t* scores_;
  int front_;
  int size_;
  int previous_index_;
  bool has_previous_time_;
  int32_t previous_time_;
};

#endif  // WAKEBENCH_RECOGNIZE_COMMANDS_H_
