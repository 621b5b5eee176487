#include "serial_protocol.h"

namespace {

constexpr char kBase64Alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Appends to a fixed buffer; any overflow makes the whole line fail.
class LineBuilder {
 public:
  LineBuilder(char* out, int capacity)
      : out_(out),
        limit_(capacity < kMaxLineBytes ? capacity : kMaxLineBytes),
        length_(0),
        ok_(out != nullptr && capacity > 0) {}

  void Char(char c) {
    // Keep one byte for the final '\n'.
    if (!ok_ || length_ + 1 >= limit_) {
      ok_ = false;
      return;
    }
    out_[length_++] = c;
  }
  void Text(const char* text) {
    while (ok_ && *text != '\0') Char(*text++);
  }
  void Uint(uint32_t value) {
    char digits[10];
    int count = 0;
    do {
      digits[count++] = static_cast<char>('0' + value % 10);
      value /= 10;
    } while (value != 0);
    while (count > 0) Char(digits[--count]);
  }
  void Base64(const uint8_t* data, int length) {
    for (int i = 0; i < length; i += 3) {
      const int remaining = length - i;
      const uint32_t chunk = (static_cast<uint32_t>(data[i]) << 16) |
                             (remaining > 1 ? data[i + 1] << 8 : 0) |
                             (remaining > 2 ? data[i + 2] : 0);
      Char(kBase64Alphabet[(chunk >> 18) & 63]);
      Char(kBase64Alphabet[(chunk >> 12) & 63]);
      Char(remaining > 1 ? kBase64Alphabet[(chunk >> 6) & 63] : '=');
      Char(remaining > 2 ? kBase64Alphabet[chunk & 63] : '=');
    }
  }
  // Printable ASCII only (others become '?'); cut (not failed) when the line is full.
  void CleanText(const char* text) {
    while (ok_ && *text != '\0' && length_ + 1 < limit_) {
      const char c = *text++;
      Char(c >= ' ' && c <= '~' ? c : '?');
    }
  }
  void Fail() { ok_ = false; }
  int Finish() {
    if (!ok_) return 0;
    out_[length_++] = '\n';  // Room was kept by Char().
    return length_;
  }

 private:
  char* out_;
  int limit_;
  int length_;
  bool ok_;
};

// Printable ASCII without space (and without comma when `allow_comma` is false); not empty.
bool IsToken(const char* text, bool allow_comma) {
  if (text == nullptr || *text == '\0') return false;
  for (; *text != '\0'; ++text) {
    if (*text <= ' ' || *text > '~') return false;
    if (!allow_comma && *text == ',') return false;
  }
  return true;
}

}  // namespace

int EncodeHello(char* out, int capacity, const HelloInfo& info) {
  LineBuilder line(out, capacity);
  if (!IsToken(info.board, true) || !IsToken(info.model_sha8, true) ||
      info.label_count < 1) {
    return 0;
  }
  line.Text("#wakebench v1 board=");
  line.Text(info.board);
  line.Text(" model=");
  line.Text(info.model_sha8);
  line.Text(" labels=");
  for (int i = 0; i < info.label_count; ++i) {
    if (!IsToken(info.labels[i], false)) line.Fail();
    if (i > 0) line.Char(',');
    line.Text(info.labels[i]);
  }
  line.Text(" rate=");
  line.Uint(info.sample_rate);
  line.Text(" window_ms=");
  line.Uint(info.window_ms);
  line.Text(" stride_ms=");
  line.Uint(info.stride_ms);
  line.Text(" bins=");
  line.Uint(info.bins);
  return line.Finish();
}

int EncodeDetection(char* out, int capacity, uint32_t ms, const char* label,
                    uint8_t score) {
  if (!IsToken(label, false)) return 0;
  LineBuilder line(out, capacity);
  line.Text("D ");
  line.Uint(ms);
  line.Char(' ');
  line.Text(label);
  line.Char(' ');
  line.Uint(score);
  return line.Finish();
}

int EncodeScores(char* out, int capacity, uint32_t ms, const uint8_t* scores,
                 int count) {
  if (count < 1) return 0;
  LineBuilder line(out, capacity);
  line.Text("P ");
  line.Uint(ms);
  for (int i = 0; i < count; ++i) {
    line.Char(' ');
    line.Uint(scores[i]);
  }
  return line.Finish();
}

int EncodeFeatures(char* out, int capacity, uint32_t ms, const uint8_t* bins,
                   int count) {
  if (count < 1) return 0;
  LineBuilder line(out, capacity);
  line.Text("F ");
  line.Uint(ms);
  line.Char(' ');
  line.Base64(bins, count);
  return line.Finish();
}

int EncodeAudio(char* out, int capacity, uint32_t seq, const int16_t* samples,
                int count) {
  if (count < 1) return 0;
  // Little-endian 16-bit PCM, encoded in slices of 3 samples (6 bytes = 8 base64 characters), so
  // no padding appears mid-line.
  LineBuilder line(out, capacity);
  line.Text("A ");
  line.Uint(seq);
  line.Char(' ');
  uint8_t bytes[6];
  for (int i = 0; i < count; i += 3) {
    const int slice = count - i < 3 ? count - i : 3;
    for (int k = 0; k < slice; ++k) {
      const uint16_t value = static_cast<uint16_t>(samples[i + k]);
      bytes[2 * k] = static_cast<uint8_t>(value & 0xff);
      bytes[2 * k + 1] = static_cast<uint8_t>(value >> 8);
    }
    line.Base64(bytes, 2 * slice);
  }
  return line.Finish();
}

int EncodeLog(char* out, int capacity, const char* text) {
  LineBuilder line(out, capacity);
  line.Text("L ");
  line.CleanText(text != nullptr ? text : "");
  return line.Finish();
}

int EncodeError(char* out, int capacity, const char* code, const char* text) {
  if (!IsToken(code, true)) return 0;
  LineBuilder line(out, capacity);
  line.Text("E ");
  line.Text(code);
  line.Char(' ');
  line.CleanText(text != nullptr ? text : "");
  return line.Finish();
}

Command ParseCommand(const char* line, int length) {
  Command command = {CommandType::kUnknown, false, 0, "unknown command"};
  if (length > 0 && line[length - 1] == '\r') --length;
  if (length == 1 && line[0] == '?') {
    command.type = CommandType::kHello;
    return command;
  }
  if (length == 2 && (line[1] == '0' || line[1] == '1')) {
    const bool on = line[1] == '1';
    switch (line[0]) {
      case 'F':
        return {CommandType::kFeatures, on, 0, nullptr};
      case 'P':
        return {CommandType::kScores, on, 0, nullptr};
      case 'A':
        return {CommandType::kAudio, on, 0, nullptr};
      default:
        return command;
    }
  }
  if (length >= 3 && line[0] == 'T' && line[1] == ' ') {
    if (length > 12) {  // The host accepts up to 10 digits (e.g. zero-padded).
      command.error = "threshold must be 0-255";
      return command;
    }
    uint32_t value = 0;
    for (int i = 2; i < length; ++i) {
      if (line[i] < '0' || line[i] > '9') {
        command.error = "threshold must be 0-255";
        return command;
      }
      value = value * 10 + static_cast<uint32_t>(line[i] - '0');
      if (value > 255) {
        command.error = "threshold must be 0-255";
        return command;
      }
    }
    return {CommandType::kThreshold, false, static_cast<uint8_t>(value), nullptr};
  }
  return command;
}

bool CommandReader::Push(char c) {
  if (complete_) {
    length_ = 0;
    overflow_ = false;
    complete_ = false;
  }
  if (c == '\n') {
    if (length_ > 0 && buffer_[length_ - 1] == '\r') --length_;
    buffer_[length_] = '\0';
    complete_ = true;
    return true;
  }
  if (length_ < kMaxCommandBytes) {
    buffer_[length_++] = c;
  } else {
    overflow_ = true;
  }
  return false;
}

bool LineWriter::SendDroppable(const char* line, int length) {
  // Never interleave with a half-sent queued line, and never split a stream line.
  if (queued_ > 0 || sink_->AvailableForWrite() < length) {
    ++dropped_lines_;
    return false;
  }
  sink_->Write(line, length);
  return true;
}

bool LineWriter::SendReliable(const char* line, int length) {
  if (length > kReliableQueueBytes - queued_) {
    ++dropped_lines_;
    return false;
  }
  for (int i = 0; i < length; ++i) {
    queue_[(head_ + queued_ + i) % kReliableQueueBytes] = line[i];
  }
  queued_ += length;
  Flush();
  return true;
}

void LineWriter::Flush() {
  while (queued_ > 0) {
    int room = sink_->AvailableForWrite();
    if (room <= 0) return;
    // Contiguous run up to the end of the ring.
    int run = kReliableQueueBytes - head_;
    if (run > queued_) run = queued_;
    if (run > room) run = room;
    const int written = sink_->Write(queue_ + head_, run);
    if (written <= 0) return;
    head_ = (head_ + written) % kReliableQueueBytes;
    queued_ -= written;
  }
}
