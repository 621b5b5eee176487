// Seam: what the board shows (implemented once per board, in arduino_board_<board>.cpp): the EdgeBadge
// draws on its 160x128 screen, the Nano 33 BLE Sense lights its RGB LED.
//
// Contract: CommandResponderBegin() prepares the output (called once in setup, may allocate).
// RespondToCommand() is called for each new keyword detection; CommandResponderUpdate() once per loop
// to clear old output. ShowFatalError() shows a problem the board cannot fix itself (e.g. a model that
// does not match the sketch) until reset. None of them may take long: they run in the main loop.

#ifndef WAKEBENCH_COMMAND_RESPONDER_H_
#define WAKEBENCH_COMMAND_RESPONDER_H_

#include <stdint.h>

void CommandResponderBegin(const char* model_sha8);
void RespondToCommand(uint32_t time_ms, int label_index, const char* label,
                      uint8_t score);
void CommandResponderUpdate(uint32_t time_ms);
void ShowFatalError(const char* code, const char* text);

#endif  // WAKEBENCH_COMMAND_RESPONDER_H_
