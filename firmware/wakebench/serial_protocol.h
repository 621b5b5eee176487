// Seam: serial protocol v1 (board side). The spec is PROTOCOL.md in the design notes; the host's parser
// is core/board/protocol.py, and tests/firmware checks that it parses every line written here.
//
// Contract:
// - Encode*() write one complete line ending in '\n' into `out` and return its length, or 0 when it
//   would not fit in `capacity` or in kMaxLineBytes, or a field cannot be sent (nothing useful written).
// - ParseCommand() turns one host line (without '\n') into a Command; anything else is kUnknown with a
//   reason the board sends back as `E cmd <reason>`.
// - CommandReader assembles host bytes into lines; an over-long line is reported once, then skipped.
// - LineWriter never blocks: stream lines (P/F/A) are sent only if the port has room right now, else
//   dropped and counted; other lines wait in a small queue that Flush() drains as room allows.
//
// Portable: no Arduino, no TFLM, no heap.

#ifndef WAKEBENCH_SERIAL_PROTOCOL_H_
#define WAKEBENCH_SERIAL_PROTOCOL_H_

#include <stdint.h>

constexpr int kMaxLineBytes = 512;     // Longest line including '\n'.
constexpr int kAudioChunkSamples = 160;  // 10 ms at 16 kHz; a 512-byte line fits 186.
constexpr int kMaxCommandBytes = 32;   // Longest host command we accept.
constexpr int kReliableQueueBytes = 2048;

struct HelloInfo {
  const char* board;
  const char* model_sha8;
  const char* const* labels;
  int label_count;
  int sample_rate;
  int window_ms;
  int stride_ms;
  int bins;
};

int EncodeHello(char* out, int capacity, const HelloInfo& info);
int EncodeDetection(char* out, int capacity, uint32_t ms, const char* label,
                    uint8_t score);
int EncodeScores(char* out, int capacity, uint32_t ms, const uint8_t* scores,
                 int count);
// `bins`: one byte per feature bin, the model's int8 input value + 128 (PROTOCOL.md's F line).
int EncodeFeatures(char* out, int capacity, uint32_t ms, const uint8_t* bins,
                   int count);
// At most 186 samples fit a 512-byte line whatever `seq` is (PROTOCOL.md's A line); the sketch sends
// kAudioChunkSamples.
int EncodeAudio(char* out, int capacity, uint32_t seq, const int16_t* samples,
                int count);
int EncodeLog(char* out, int capacity, const char* text);
int EncodeError(char* out, int capacity, const char* code, const char* text);

enum class CommandType {
  kHello,      // ?
  kFeatures,   // F1 / F0
  kScores,     // P1 / P0
  kAudio,      // A1 / A0
  kThreshold,  // T <0-255>
  kUnknown,    // anything else; `error` says why
};

struct Command {
  CommandType type;
  bool on;            // kFeatures, kScores, kAudio
  uint8_t threshold;  // kThreshold
  const char* error;  // kUnknown
};

Command ParseCommand(const char* line, int length);

class CommandReader {
 public:
  CommandReader() : length_(0), overflow_(false) {}
  // Returns true when `c` completes a line: line()/length() hold it (a trailing '\r' removed) until
  // the next Push(); overflowed() tells the line was too long (its text is then cut).
  bool Push(char c);
  const char* line() const { return buffer_; }
  int length() const { return length_; }
  bool overflowed() const { return overflow_; }

 private:
  char buffer_[kMaxCommandBytes + 1];
  int length_;
  bool overflow_;
  bool complete_ = false;
};

// What the board's serial port offers; the sketch wraps Serial, tests use a fake.
class SerialSink {
 public:
  virtual ~SerialSink() {}
  virtual int AvailableForWrite() = 0;
  virtual int Write(const char* data, int length) = 0;
};

class LineWriter {
 public:
  explicit LineWriter(SerialSink* sink) : sink_(sink) {}
  // P/F/A lines: all or nothing, now. Returns false (and counts) when dropped.
  bool SendDroppable(const char* line, int length);
  // Hello, D, L, E lines: queued; returns false (and counts) only when the queue is full.
  bool SendReliable(const char* line, int length);
  // Writes queued bytes while the port has room. Call once per loop.
  void Flush();
  uint32_t dropped_lines() const { return dropped_lines_; }
  int queued_bytes() const { return queued_; }

 private:
  SerialSink* sink_;
  char queue_[kReliableQueueBytes];
  int head_ = 0;    // Next byte to send.
  int queued_ = 0;  // Bytes waiting.
  uint32_t dropped_lines_ = 0;
};

#endif  // WAKEBENCH_SERIAL_PROTOCOL_H_
