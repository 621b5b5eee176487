// Seam: the firmware itself, without the board (wakebench_app.cpp).
//
// Contract: WakebenchSetup() runs once (the sketch's setup()): serial port, screen or LED, model setup
// and check, micro frontend, microphone, hello line. WakebenchLoop() runs forever (the sketch's loop()):
// host commands, queued serial lines, new feature frames, inference on schedule, recognizer,
// detections, audio stream; it never blocks. Everything board-specific goes through board.h,
// audio_provider.h and command_responder.h, so a host "board" (firmware/host/host_board.cpp) runs this
// same code on the PC. WakebenchObserveFrames() lets such a host see each frame's unquantized frontend
// output (no board uses it; the F line carries the quantized frame).

#ifndef WAKEBENCH_WAKEBENCH_APP_H_
#define WAKEBENCH_WAKEBENCH_APP_H_

#include <stdint.h>

typedef void (*FrameObserver)(uint32_t time_ms, const uint16_t* features, int count);

void WakebenchSetup();
void WakebenchLoop();
void WakebenchObserveFrames(FrameObserver observer);

#endif  // WAKEBENCH_WAKEBENCH_APP_H_
