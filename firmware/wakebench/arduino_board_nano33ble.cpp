// Board: Arduino Nano 33 BLE Sense (nRF52840, arduino:mbed_nano:nano33ble). PDM microphone through the
// core's PDM library (its receive callback runs in interrupt context); each keyword lights the RGB LED
// in its own colour. Serial is native USB: mbed's USBSerial blocks in write() while the host is not
// reading and reports no free space, so a small writer thread owns the port and the main loop only
// fills a byte ring (the sink's AvailableForWrite() is that ring's free space).

#if defined(ARDUINO_ARDUINO_NANO33BLE)

#include <Arduino.h>
#include <PDM.h>
#include <mbed.h>
#include <stdio.h>

#include "audio_provider.h"
#include "board.h"
#include "command_responder.h"
#include "model_settings.h"

namespace {

constexpr uint32_t kLedShowMs = 1000;
constexpr int kPdmGain = 20;
constexpr int kSerialRingBytes = 4096;

int16_t g_ring_storage[kAudioRingSamples];
AudioRing g_ring(g_ring_storage, kAudioRingSamples);
int16_t g_pdm_buffer[256];
bool g_led_on = false;
uint32_t g_led_time_ms = 0;

// One producer (main loop) and one consumer (writer thread): indices only grow.
char g_serial_ring[kSerialRingBytes];
volatile uint32_t g_serial_head = 0;  // Written by the main loop.
volatile uint32_t g_serial_tail = 0;  // Written by the writer thread.
rtos::Thread g_serial_thread(osPriorityBelowNormal, 1024);

void SerialWriterThread() {
  char chunk[64];
  while (true) {
    const uint32_t head = g_serial_head;
    uint32_t tail = g_serial_tail;
    if (head == tail) {
      delay(2);  // Arduino's mbed delay() yields to other threads.
      continue;
    }
    int count = 0;
    while (tail != head && count < static_cast<int>(sizeof(chunk))) {
      chunk[count++] = g_serial_ring[tail % kSerialRingBytes];
      ++tail;
    }
    // Blocks while the host is connected but not reading; that is why it runs here.
    if (Serial) Serial.write(reinterpret_cast<const uint8_t*>(chunk), count);
    g_serial_tail = tail;
  }
}

class ThreadedSerialSink : public SerialSink {
 public:
  int AvailableForWrite() override {
    return kSerialRingBytes - static_cast<int>(g_serial_head - g_serial_tail);
  }
  int Write(const char* data, int length) override {
    const int room = AvailableForWrite();
    if (length > room) length = room;
    for (int i = 0; i < length; ++i) {
      g_serial_ring[(g_serial_head + i) % kSerialRingBytes] = data[i];
    }
    g_serial_head = g_serial_head + length;
    return length;
  }
};
ThreadedSerialSink g_serial_sink;

void OnPdmData() {
  const int bytes = PDM.available();
  const int samples = PDM.read(g_pdm_buffer, bytes < static_cast<int>(sizeof(g_pdm_buffer))
                                                 ? bytes
                                                 : static_cast<int>(sizeof(g_pdm_buffer))) /
                      2;
  for (int i = 0; i < samples; ++i) g_ring.Push(g_pdm_buffer[i]);
}

// The RGB LED is active low.
void SetLed(bool red, bool green, bool blue) {
  digitalWrite(LEDR, red ? LOW : HIGH);
  digitalWrite(LEDG, green ? LOW : HIGH);
  digitalWrite(LEDB, blue ? LOW : HIGH);
}

}  // namespace

const char* BoardName() { return "nano33ble"; }

void BoardSerialBegin() {
  Serial.begin(115200);
  g_serial_thread.start(mbed::callback(SerialWriterThread));
}

SerialSink* BoardSerial() { return &g_serial_sink; }

int BoardSerialRead() { return Serial.available() > 0 ? Serial.read() : -1; }

bool AudioProviderBegin(char* error, int error_size) {
  PDM.onReceive(OnPdmData);
  if (!PDM.begin(1, kAudioSampleRate)) {
    snprintf(error, error_size, "PDM microphone did not start");
    return false;
  }
  PDM.setGain(kPdmGain);
  return true;
}

const AudioRing& AudioProviderRing() { return g_ring; }

void CommandResponderBegin(const char* model_sha8) {
  (void)model_sha8;
  pinMode(LEDR, OUTPUT);
  pinMode(LEDG, OUTPUT);
  pinMode(LEDB, OUTPUT);
  pinMode(LED_BUILTIN, OUTPUT);
  SetLed(false, false, false);
}

void RespondToCommand(uint32_t time_ms, int label_index, const char* label, uint8_t score) {
  (void)label;
  (void)score;
  // Words are labels 2, 3, ...: green, blue, red, then mixes.
  static const bool kColours[][3] = {{false, true, false}, {false, false, true},
                                     {true, false, false}, {true, true, false},
                                     {false, true, true},  {true, false, true}};
  const bool* colour = kColours[(label_index - 2 + 6) % 6];
  SetLed(colour[0], colour[1], colour[2]);
  g_led_on = true;
  g_led_time_ms = time_ms;
}

void CommandResponderUpdate(uint32_t time_ms) {
  if (g_led_on && time_ms - g_led_time_ms >= kLedShowMs) {
    SetLed(false, false, false);
    g_led_on = false;
  }
}

void ShowFatalError(const char* code, const char* text) {
  (void)code;
  (void)text;  // No screen: the E line carries the text; the LED says "look at the serial port".
  SetLed(true, false, false);
  digitalWrite(LED_BUILTIN, HIGH);
}

#endif  // ARDUINO_ARDUINO_NANO33BLE
