// Seam: the board's identity and serial port (implemented once per board, in arduino_board_<board>.cpp).
//
// Contract: BoardName() is the profile name the hello line reports (assets/boards/<name>.toml).
// BoardSerial() returns a SerialSink whose AvailableForWrite() says truthfully how many bytes Write()
// takes without blocking, so LineWriter can drop stream lines instead of stalling the loop.

#ifndef WAKEBENCH_BOARD_H_
#define WAKEBENCH_BOARD_H_

#include "serial_protocol.h"

const char* BoardName();
void BoardSerialBegin();
SerialSink* BoardSerial();
// The next byte the host sent, or -1 when none is waiting (never blocks).
int BoardSerialRead();

#endif  // WAKEBENCH_BOARD_H_
