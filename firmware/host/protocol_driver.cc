// Host driver: writes protocol lines with the firmware's encoder, and parses host commands with the
// firmware's parser, as asked on stdin (one request per line):
//   H board sha8 label,label,... rate window_ms stride_ms bins  -> hello line
//   D ms label score                                            -> detection line
//   P ms s0 s1 ...                                              -> scores line
//   F ms b0 b1 ...                                              -> feature line (bytes in decimal)
//   A seq x0 x1 ...                                             -> audio line (int16 in decimal)
//   L text...                                                   -> log line
//   E code text...                                              -> error line
//   C command...                                                -> "cmd <type> <on> <threshold>"
//   W room line_count                                           -> LineWriter drop test (see below)
// Each encoder answer is the raw line, or "FAIL" when the encoder refused (returned 0).

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serial_protocol.h"

namespace {

char g_out[kMaxLineBytes + 64];

void PrintLine(int length) {
  if (length <= 0) {
    printf("FAIL\n");
  } else {
    fwrite(g_out, 1, length, stdout);
  }
}

// Splits `text` in place at spaces.
int Split(char* text, char** fields, int max_fields) {
  int count = 0;
  char* save = nullptr;
  for (char* token = strtok_r(text, " ", &save); token && count < max_fields;
       token = strtok_r(nullptr, " ", &save)) {
    fields[count++] = token;
  }
  return count;
}

// A port that takes `room` bytes per Flush round, and records what was written.
class FakeSink : public SerialSink {
 public:
  explicit FakeSink(int room) : room_(room) {}
  int AvailableForWrite() override { return room_ - used_; }
  int Write(const char* data, int length) override {
    const int take = length < room_ - used_ ? length : room_ - used_;
    fwrite(data, 1, take, stdout);
    used_ += take;
    return take;
  }
  void NextRound() { used_ = 0; }

 private:
  int room_;
  int used_ = 0;
};

}  // namespace

int main() {
  static char request[8192];
  static char* fields[1024];
  static uint8_t bytes[1024];
  static int16_t samples[1024];
  static char labels_buffer[4096];
  static const char* labels[256];
  while (fgets(request, sizeof(request), stdin) != nullptr) {
    request[strcspn(request, "\n")] = '\0';
    const char kind = request[0];
    char* rest = request[1] == ' ' ? request + 2 : request + 1;
    if (kind == 'L') {
      PrintLine(EncodeLog(g_out, sizeof(g_out), rest));
      continue;
    }
    if (kind == 'E') {
      char* space = strchr(rest, ' ');
      const char* text = "";
      if (space != nullptr) {
        *space = '\0';
        text = space + 1;
      }
      PrintLine(EncodeError(g_out, sizeof(g_out), rest, text));
      continue;
    }
    if (kind == 'C') {
      const Command c = ParseCommand(rest, static_cast<int>(strlen(rest)));
      printf("cmd %d %d %d\n", static_cast<int>(c.type), c.on ? 1 : 0,
             c.threshold);
      continue;
    }
    const int n = Split(rest, fields, 1024);
    if (kind == 'H' && n == 7) {
      strncpy(labels_buffer, fields[2], sizeof(labels_buffer) - 1);
      int label_count = 0;
      char* save = nullptr;
      for (char* t = strtok_r(labels_buffer, ",", &save); t && label_count < 256;
           t = strtok_r(nullptr, ",", &save)) {
        labels[label_count++] = t;
      }
      const HelloInfo info = {fields[0], fields[1], labels, label_count,
                              atoi(fields[3]), atoi(fields[4]),
                              atoi(fields[5]), atoi(fields[6])};
      PrintLine(EncodeHello(g_out, sizeof(g_out), info));
    } else if (kind == 'D' && n == 3) {
      PrintLine(EncodeDetection(g_out, sizeof(g_out), strtoul(fields[0], 0, 10),
                                fields[1], atoi(fields[2])));
    } else if ((kind == 'P' || kind == 'F') && n >= 1) {
      for (int i = 1; i < n; ++i) bytes[i - 1] = static_cast<uint8_t>(atoi(fields[i]));
      const uint32_t ms = strtoul(fields[0], 0, 10);
      PrintLine(kind == 'P' ? EncodeScores(g_out, sizeof(g_out), ms, bytes, n - 1)
                            : EncodeFeatures(g_out, sizeof(g_out), ms, bytes, n - 1));
    } else if (kind == 'A' && n >= 1) {
      for (int i = 1; i < n; ++i) samples[i - 1] = static_cast<int16_t>(atoi(fields[i]));
      PrintLine(EncodeAudio(g_out, sizeof(g_out), strtoul(fields[0], 0, 10),
                            samples, n - 1));
    } else if (kind == 'W' && n == 2) {
      // Interleaves reliable detections and droppable score lines into a port with `room` bytes per
      // round, then drains; prints everything written, then "dropped <n>".
      FakeSink sink(atoi(fields[0]));
      LineWriter writer(&sink);
      const int lines = atoi(fields[1]);
      const uint8_t scores[4] = {1, 2, 3, 4};
      for (int i = 0; i < lines; ++i) {
        sink.NextRound();
        writer.Flush();
        int length = EncodeDetection(g_out, sizeof(g_out), i, "stop", 200);
        writer.SendReliable(g_out, length);
        length = EncodeScores(g_out, sizeof(g_out), i, scores, 4);
        writer.SendDroppable(g_out, length);
      }
      for (int round = 0; round < 10000 && writer.queued_bytes() > 0; ++round) {
        sink.NextRound();
        writer.Flush();
      }
      printf("dropped %u\n", writer.dropped_lines());
    } else {
      printf("BADREQUEST\n");
    }
  }
  return 0;
}
