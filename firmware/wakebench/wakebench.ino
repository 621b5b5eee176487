// wakebench firmware: listens, computes micro frontend features, runs the exported int8 keyword model
// with TensorFlow Lite Micro, smooths its scores like the PC's recognizer, shows detections on the board
// and reports everything over serial protocol v1 (PROTOCOL.md; host parser core/board/protocol.py).
//
// The firmware lives in wakebench_app.cpp (board-independent, also built for the PC by firmware/host)
// and arduino_board_<board>.cpp (microphone, screen or LED, serial port); see firmware/README.md.

// Only so that the build finds the TFLM library: Arduino resolves a library by a header in its top
// folder. No TFLM header proper may be included in this file: every .ino sees the SAMD core's
// Arduino.h first, whose round(x) macro breaks TFLM's and gemmlowp's headers.
#include <TensorFlowLite.h>

#include "wakebench_app.h"

void setup() { WakebenchSetup(); }

void loop() { WakebenchLoop(); }
