// Board: Adafruit EdgeBadge (SAMD51, adafruit:samd:adafruit_pybadge_m4). PDM microphone read through
// SPI2 by Adafruit_ZeroPDMSPI in the SERCOM3 interrupt; the detected word and its score drawn as text
// on the 160x128 ST7735 screen (no bitmap files). Serial is native USB (TinyUSB stack, whose
// availableForWrite() reports real free space).

#if defined(ADAFRUIT_PYBADGE_M4_EXPRESS)

#include <Adafruit_GFX.h>
#include <Adafruit_ST7735.h>
#include <Adafruit_ZeroPDMSPI.h>
#include <Arduino.h>
#include <SPI.h>
#include <stdio.h>
#include <string.h>
#if defined(USE_TINYUSB)
#include <Adafruit_TinyUSB.h>  // Serial comes from the TinyUSB stack (bundled with the core).
#endif

#include "audio_provider.h"
#include "board.h"
#include "command_responder.h"
#include "model_settings.h"

namespace {

// EdgeBadge / PyBadge wiring (same as Adafruit Arcada's PyBadge profile).
constexpr int kTftCs = 44;
constexpr int kTftDc = 45;
constexpr int kTftReset = 46;
constexpr int kTftBacklight = 47;
constexpr int kScreenWidth = 160;
constexpr uint32_t kWordShowMs = 1500;

int16_t g_ring_storage[kAudioRingSamples];
AudioRing g_ring(g_ring_storage, kAudioRingSamples);
Adafruit_ZeroPDMSPI g_pdm(&SPI2);
Adafruit_ST7735 g_tft(&SPI1, kTftCs, kTftDc, kTftReset);
bool g_fatal = false;
bool g_word_shown = false;
uint32_t g_word_time_ms = 0;

class UsbSerialSink : public SerialSink {
 public:
  int AvailableForWrite() override { return Serial.availableForWrite(); }
  int Write(const char* data, int length) override {
    return static_cast<int>(Serial.write(reinterpret_cast<const uint8_t*>(data), length));
  }
};
UsbSerialSink g_serial_sink;

void DrawCentered(const char* text, int y, int size, uint16_t color) {
  int16_t x1, y1;
  uint16_t w, h;
  g_tft.setTextSize(size);
  g_tft.getTextBounds(text, 0, y, &x1, &y1, &w, &h);
  g_tft.setTextColor(color);
  g_tft.setCursor((kScreenWidth - static_cast<int>(w)) / 2, y);
  g_tft.print(text);
}

void DrawIdle() {
  g_tft.fillRect(0, 30, kScreenWidth, 80, ST77XX_BLACK);
  DrawCentered("listening...", 60, 1, ST77XX_WHITE);
}

}  // namespace

// The PDM microphone's interrupt: one decimated sample per call when ready.
void SERCOM3_0_Handler() {
  uint16_t value = 0;
  if (g_pdm.decimateFilterWord(&value)) {
    g_ring.Push(static_cast<int16_t>(static_cast<int32_t>(value) - 32768));
  }
}

const char* BoardName() { return "edgebadge"; }

void BoardSerialBegin() { Serial.begin(115200); }

SerialSink* BoardSerial() { return &g_serial_sink; }

int BoardSerialRead() { return Serial.available() > 0 ? Serial.read() : -1; }

bool AudioProviderBegin(char* error, int error_size) {
  if (!g_pdm.begin(kAudioSampleRate)) {
    snprintf(error, error_size, "PDM microphone did not start");
    return false;
  }
  return true;
}

const AudioRing& AudioProviderRing() { return g_ring; }

void CommandResponderBegin(const char* model_sha8) {
  pinMode(kTftBacklight, OUTPUT);
  digitalWrite(kTftBacklight, HIGH);
  g_tft.initR(INITR_BLACKTAB);
  g_tft.setRotation(1);  // Landscape, 160x128.
  g_tft.fillScreen(ST77XX_BLACK);
  g_tft.setTextWrap(false);
  char title[40];
  snprintf(title, sizeof(title), "wakebench %s", model_sha8);
  DrawCentered(title, 4, 1, ST77XX_CYAN);
  DrawIdle();
}

void RespondToCommand(uint32_t time_ms, int label_index, const char* label, uint8_t score) {
  if (g_fatal) return;
  (void)label_index;
  char text[24];
  g_tft.fillRect(0, 30, kScreenWidth, 80, ST77XX_BLACK);
  DrawCentered(label, 44, strlen(label) <= 6 ? 4 : 2, ST77XX_GREEN);
  snprintf(text, sizeof(text), "score %u", score);
  DrawCentered(text, 90, 1, ST77XX_WHITE);
  g_word_shown = true;
  g_word_time_ms = time_ms;
}

void CommandResponderUpdate(uint32_t time_ms) {
  if (g_fatal || !g_word_shown || time_ms - g_word_time_ms < kWordShowMs) return;
  g_word_shown = false;
  DrawIdle();
}

void ShowFatalError(const char* code, const char* text) {
  g_fatal = true;
  g_tft.fillScreen(ST77XX_RED);
  g_tft.setTextWrap(true);
  g_tft.setTextColor(ST77XX_WHITE);
  g_tft.setTextSize(2);
  g_tft.setCursor(4, 4);
  g_tft.print("error: ");
  g_tft.print(code);
  g_tft.setTextSize(1);
  g_tft.setCursor(4, 28);
  g_tft.print(text);
}

#endif  // ADAFRUIT_PYBADGE_M4_EXPRESS
